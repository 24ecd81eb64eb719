import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type AgentDisconnect,
  type GrantPayload,
  parseSessionPath,
  type SessionRole,
  STREAM_ACCESS_CHANGED_CLOSE_CODE,
  STREAM_REMOVED_CLOSE_CODE,
} from '@porthole/contracts';
import type { GrantVerifier } from '@porthole/stream';
import {
  createGuardedProxy,
  GRANT_HEADER,
  type StreamGuard,
  type StreamLimits,
  type StreamMeter,
} from '@porthole/stream';
import type { ProxyServer } from 'http-proxy-3';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import { ConnectionRegistry, type StreamConnection } from './connection-registry.js';
import { createRfbClientFilter, type RfbFilterStats } from './rfb-filter.js';

export interface StreamTarget {
  hostPort: number;
  vncPassword: string;
}

export interface GatewayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface GatewayDeps {
  verifier: () => Pick<GrantVerifier, 'check'> | null;
  targets: { target(sessionId: string): StreamTarget | null };
  /** Called at most once a second per stream while the browser sends bytes (idle detection). */
  onActivity: (sessionId: string) => void;
  log: GatewayLog;
  limits?: Partial<StreamLimits>;
  /** Where containers listen (loopback); tests and the bench point it elsewhere. */
  upstreamHost?: string;
}

/** What the gateway has relayed; read-only, for tests, the bench and diagnostics. */
export interface GatewayStats {
  /** Streams open now (owner/collaborator pipes and viewer relays). */
  activeStreams: number;
  /** Viewer relays opened since start. */
  viewerStreams: number;
  /** Client→workspace messages viewers sent that were not forwarded. */
  droppedMessages: number;
  /** Of those, keyboard and pointer input. */
  droppedInputMessages: number;
  /** Requests and upgrades refused (bad, missing, expired or misdirected grants; unknown sessions). */
  refused: number;
}

const ACCESS_CHANGED_REASONS = {
  role_changed: 'your role in this session changed',
  signed_out: 'signed out',
} as const;

/** Client→server WebSocket messages larger than this close a viewer's relay (noVNC's are tiny). */
const VIEWER_MAX_PAYLOAD = 16 * 1024 * 1024;

function statusText(status: number): string {
  return status === 404 ? 'Not Found' : status === 403 ? 'Forbidden' : 'Unauthorized';
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { code: status === 404 ? 'not_found' : 'unauthorized', message } });
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * The agent end of the stream path: checks the server's grant, adds the container's
 * credentials (the browser never sees them) and relays to the container on loopback. Owners
 * and collaborators get a byte pipe; viewers go through the RFB filter that drops input.
 */
export class SessionGateway {
  private readonly limits: StreamLimits;
  private readonly guard: StreamGuard;
  private readonly proxy: ProxyServer;
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: VIEWER_MAX_PAYLOAD,
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });
  private readonly viewerFilters = new Set<{ stats: Readonly<RfbFilterStats> }>();
  private readonly connections = new ConnectionRegistry();
  private readonly counts = { viewerStreams: 0, droppedMessages: 0, droppedInputMessages: 0, refused: 0 };

  constructor(private readonly deps: GatewayDeps) {
    const relay = createGuardedProxy({ limits: deps.limits, log: deps.log, upstream: 'session' });
    this.proxy = relay.proxy;
    this.guard = relay.guard;
    this.limits = relay.limits;
  }

  /** Authorises with the grant header the proxy added, then relays. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = parseSessionPath(req.url);
    if (!route) {
      this.refuseUpgrade(socket, 404, 'not a session path');
      return;
    }
    const check = this.check(req.headers[GRANT_HEADER], route.sessionId);
    if (!check.ok) {
      this.refuseUpgrade(socket, 401, check.reason);
      return;
    }
    this.relayUpgrade(req, socket, head, check.grant);
  }

  /** For a proxy in the same process that has already authorised the caller (one hop). */
  relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, grant: GrantPayload): void {
    const route = parseSessionPath(req.url);
    if (!route || route.sessionId !== grant.sid) {
      this.refuseUpgrade(socket, 403, 'grant is for another session');
      return;
    }
    const target = this.deps.targets.target(route.sessionId);
    if (!target) {
      this.refuseUpgrade(socket, 404, 'no such session on this agent');
      return;
    }
    const sessionId = route.sessionId;
    const role: SessionRole = grant.role ?? 'viewer';
    // Only a collaborator's pipe may be cut with a close code (a viewer's relay closes its own
    // WebSocket; nobody cuts the owner's), so only it pays for following frames.
    this.guard.track(socket, () => this.deps.onActivity(sessionId), { cuttable: role === 'collaborator' });
    // Registered at once, so a disconnect racing the upstream handshake finds it too.
    const connection: StreamConnection = {
      userId: grant.sub ?? null,
      role,
      issuedAtMs: grant.iatMs ?? null,
      signIn: grant.sin ?? null,
      close: (code, reason) => this.guard.cut(socket, code, reason),
    };
    socket.once('close', this.connections.add(sessionId, connection));
    if (role === 'viewer') {
      this.relayFiltered(req, socket, head, route, target, connection);
      return;
    }
    this.prepare(req, route.rest);
    this.proxy.ws(req, socket, head, {
      target: this.upstream(target, 'https'),
      headers: { authorization: basic(target.vncPassword) },
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, grant?: GrantPayload): void {
    const route = parseSessionPath(req.url);
    if (!route) {
      this.refuseRequest(res, 404, 'not a session path');
      return;
    }
    let g = grant;
    if (!g) {
      const check = this.check(req.headers[GRANT_HEADER], route.sessionId);
      if (!check.ok) {
        this.refuseRequest(res, 401, check.reason);
        return;
      }
      g = check.grant;
    }
    if (g.sid !== route.sessionId) {
      this.refuseRequest(res, 403, 'grant is for another session');
      return;
    }
    const target = this.deps.targets.target(route.sessionId);
    if (!target) {
      this.refuseRequest(res, 404, 'no such session on this agent');
      return;
    }
    this.prepare(req, route.rest);
    this.proxy.web(req, res, {
      target: this.upstream(target, 'https'),
      headers: { authorization: basic(target.vncPassword) },
    });
  }

  /** Streams open and bytes relayed, for the metrics. */
  meter(): StreamMeter {
    return this.guard.meter();
  }

  stats(): GatewayStats {
    let droppedMessages = this.counts.droppedMessages;
    let droppedInputMessages = this.counts.droppedInputMessages;
    for (const f of this.viewerFilters) {
      droppedMessages += f.stats.droppedMessages;
      droppedInputMessages += f.stats.droppedInputMessages;
    }
    return {
      activeStreams: this.guard.size,
      viewerStreams: this.counts.viewerStreams,
      droppedMessages,
      droppedInputMessages,
      refused: this.counts.refused,
    };
  }

  /**
   * Closes a session's open streams the owner took away (kick: one user; sharing off: all but the
   * owner) with STREAM_REMOVED_CLOSE_CODE, or those of a user whose access changed (another role,
   * signed out) with STREAM_ACCESS_CHANGED_CLOSE_CODE; returns how many. New streams are refused (or given the new role) by the
   * server already. `beforeMs`: a disconnect handed over late (check-in) spares streams
   * authorised after it.
   */
  disconnect(sessionId: string, target: AgentDisconnect, beforeMs?: number): number {
    const reconnect = 'userId' in target ? target.reconnect : undefined;
    const closed = this.connections.disconnect(
      sessionId,
      target,
      reconnect ? STREAM_ACCESS_CHANGED_CLOSE_CODE : STREAM_REMOVED_CLOSE_CODE,
      reconnect ? ACCESS_CHANGED_REASONS[reconnect] : 'removed by the owner',
      beforeMs,
    );
    this.deps.log.info({ sessionId, ...target, beforeMs, closed }, 'streams disconnected');
    return closed;
  }

  /** Open streams of a session (tests, diagnostics). */
  openStreams(sessionId: string): number {
    return this.connections.count(sessionId);
  }

  /** Closes every stream (the agent is stopping). */
  close(): void {
    this.guard.closeAll();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.proxy.close();
  }

  private check(header: string | string[] | undefined, sessionId: string) {
    const verifier = this.deps.verifier();
    if (!verifier) return { ok: false as const, reason: 'the agent is still starting' };
    return verifier.check(typeof header === 'string' ? header : undefined, { sessionId, action: 'stream' });
  }

  private refuseUpgrade(socket: Duplex, status: number, message: string): void {
    this.counts.refused += 1;
    refuse(socket, status, message);
  }

  private refuseRequest(res: ServerResponse, status: number, message: string): void {
    this.counts.refused += 1;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: status === 404 ? 'not_found' : 'unauthorized', message } }));
  }

  private upstream(target: StreamTarget, scheme: 'https' | 'wss'): string {
    return `${scheme}://${this.deps.upstreamHost ?? '127.0.0.1'}:${target.hostPort}`;
  }

  /** The container sees neither the browser's cookies nor the grant, and only its own path. */
  private prepare(req: IncomingMessage, rest: string): void {
    req.url = rest;
    delete req.headers.cookie;
    delete req.headers[GRANT_HEADER];
    delete req.headers.authorization;
  }

  private relayFiltered(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    route: { sessionId: string; rest: string },
    target: StreamTarget,
    connection: StreamConnection,
  ): void {
    this.wss.handleUpgrade(req, socket, head, (client) => {
      this.counts.viewerStreams += 1;
      const upstream = new WebSocket(`${this.upstream(target, 'wss')}${route.rest}`, ['binary'], {
        headers: { authorization: basic(target.vncPassword) },
        rejectUnauthorized: false,
        perMessageDeflate: false,
        handshakeTimeout: this.limits.handshakeTimeoutMs,
      });
      // From here a removal closes the WebSocket properly, with the code the page looks for.
      let removed = false;
      connection.close = (code, reason) => {
        removed = true;
        client.close(code, reason);
        upstream.terminate();
        setTimeout(() => client.terminate(), this.limits.closeGraceMs).unref();
      };
      const filter = createRfbClientFilter({ role: 'viewer', allowClipboardUp: false });
      this.viewerFilters.add(filter);
      const input = new Transform({
        transform(chunk: Buffer, _enc, done) {
          const out = filter.push(chunk);
          for (const b of out.forward) this.push(b);
          done(out.close ? new Error(`closed by RFB filter: ${out.close}`) : null);
        },
      });
      const fromClient = createWebSocketStream(client);
      const toUpstream = createWebSocketStream(upstream);
      let ended = false;
      const end = (err?: unknown) => {
        if (ended) return;
        ended = true;
        if (err) this.deps.log.info({ sessionId: route.sessionId, err: String(err) }, 'viewer stream ended');
        this.viewerFilters.delete(filter);
        this.counts.droppedMessages += filter.stats.droppedMessages;
        this.counts.droppedInputMessages += filter.stats.droppedInputMessages;
        // A removed viewer's close frame is on its way: terminating now could drop it.
        if (!removed) client.terminate();
        upstream.terminate();
      };
      pipeline(fromClient, input, toUpstream).then(() => end(), end);
      pipeline(toUpstream, fromClient).then(() => end(), end);
    });
  }
}

function basic(password: string): string {
  return `Basic ${Buffer.from(`kasm_user:${password}`).toString('base64')}`;
}
