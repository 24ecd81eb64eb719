import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type GrantPayload, parseSessionPath } from '@porthole/contracts';
import { createProxyServer } from 'http-proxy-3';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import type { GrantVerifier } from '../auth/grant-verifier.js';
import { createRfbClientFilter } from './rfb-filter.js';

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
  /** Called at most once a second per connection while bytes flow (idle detection). */
  onActivity: (sessionId: string) => void;
  log: GatewayLog;
}

export const GRANT_HEADER = 'x-porthole-grant';

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { code: status === 404 ? 'not_found' : 'unauthorized', message } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 403 ? 'Forbidden' : 'Unauthorized'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * The agent end of the stream path: checks the server's grant, adds the container's
 * credentials (the browser never sees them) and relays to the container on loopback. Owners
 * and collaborators get a byte pipe; viewers go through the RFB filter that drops input.
 */
export class SessionGateway {
  private readonly proxy = createProxyServer({ secure: false, ws: true, proxyTimeout: 60_000 });
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });

  constructor(private readonly deps: GatewayDeps) {
    this.proxy.on('error', (err, _req, res) => {
      deps.log.warn({ err: err.message }, 'gateway upstream error');
      if (res && 'writeHead' in res && !res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'unavailable', message: 'session is not reachable' } }));
      } else res?.destroy();
    });
  }

  /** Authorises with the grant header the proxy added, then relays. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = parseSessionPath(req.url);
    if (!route) {
      refuse(socket, 404, 'not a session path');
      return;
    }
    const header = req.headers[GRANT_HEADER];
    const check = this.check(header, route.sessionId);
    if (!check.ok) {
      refuse(socket, 401, check.reason);
      return;
    }
    this.relayUpgrade(req, socket, head, check.grant);
  }

  /** For a proxy in the same process that has already authorised the caller (one hop). */
  relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, grant: GrantPayload): void {
    const route = parseSessionPath(req.url);
    if (!route || route.sessionId !== grant.sid) {
      refuse(socket, 403, 'grant is for another session');
      return;
    }
    const target = this.deps.targets.target(route.sessionId);
    if (!target) {
      refuse(socket, 404, 'no such session on this agent');
      return;
    }
    const role = grant.role ?? 'viewer';
    if (role === 'viewer') {
      this.relayFiltered(req, socket, head, route, target);
      return;
    }

    this.prepare(req, route.rest);
    socket.on('data', this.activityMeter(route.sessionId));
    this.proxy.ws(req, socket as never, head, {
      target: `https://127.0.0.1:${target.hostPort}`,
      headers: { authorization: basic(target.vncPassword) },
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, grant?: GrantPayload): void {
    const route = parseSessionPath(req.url);
    if (!route) {
      jsonError(res, 404, 'not a session path');
      return;
    }
    let g = grant;
    if (!g) {
      const header = req.headers[GRANT_HEADER];
      const check = this.check(header, route.sessionId);
      if (!check.ok) {
        jsonError(res, 401, check.reason);
        return;
      }
      g = check.grant;
    }
    if (g.sid !== route.sessionId) {
      jsonError(res, 403, 'grant is for another session');
      return;
    }
    const target = this.deps.targets.target(route.sessionId);
    if (!target) {
      jsonError(res, 404, 'no such session on this agent');
      return;
    }
    this.prepare(req, route.rest);
    this.proxy.web(req, res, {
      target: `https://127.0.0.1:${target.hostPort}`,
      headers: { authorization: basic(target.vncPassword) },
    });
  }

  private check(header: string | string[] | undefined, sessionId: string) {
    const verifier = this.deps.verifier();
    if (!verifier) return { ok: false as const, reason: 'the agent is still starting' };
    return verifier.check(typeof header === 'string' ? header : undefined, { sessionId, action: 'stream' });
  }

  /** Input from the browser counts as activity; checked per chunk, reported once a second. */
  private activityMeter(sessionId: string): () => void {
    let last = 0;
    return () => {
      const now = Date.now();
      if (now - last < 1000) return;
      last = now;
      this.deps.onActivity(sessionId);
    };
  }

  close(): void {
    this.wss.close();
    this.proxy.close();
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
  ): void {
    this.wss.handleUpgrade(req, socket, head, (client) => {
      const upstream = new WebSocket(`wss://127.0.0.1:${target.hostPort}${route.rest}`, ['binary'], {
        headers: { authorization: basic(target.vncPassword) },
        rejectUnauthorized: false,
        perMessageDeflate: false,
      });
      const filter = createRfbClientFilter({ role: 'viewer', allowClipboardUp: false });
      const sessionId = route.sessionId;
      const meter = this.activityMeter(sessionId);
      const input = new Transform({
        transform(chunk: Buffer, _enc, done) {
          meter();
          const out = filter.push(chunk);
          for (const b of out.forward) this.push(b);
          done(out.close ? new Error(`closed by RFB filter: ${out.close}`) : null);
        },
      });
      const fromClient = createWebSocketStream(client);
      const toUpstream = createWebSocketStream(upstream);
      const end = (err?: unknown) => {
        if (err) this.deps.log.info({ sessionId, err: String(err) }, 'viewer stream ended');
        client.terminate();
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

function jsonError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: status === 404 ? 'not_found' : 'unauthorized', message } }));
}
