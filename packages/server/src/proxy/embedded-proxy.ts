import { Agent as HttpAgent, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { type GrantPayload, parseSessionPath } from '@porthole/contracts';
import {
  createGuardedProxy,
  GRANT_HEADER,
  type StreamGuard,
  type StreamLimits,
  type StreamMeter,
} from '@porthole/stream';
import type { FastifyInstance } from 'fastify';
import type { ProxyServer } from 'http-proxy-3';
import type { AuthService } from '../auth/auth-service.js';
import { upgradeCaller } from '../auth/session-cookie.js';
import { DomainError, NotFoundError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import type { StreamAuthService } from '../streams/stream-auth-service.js';
import { type AddressMatcher, addressMatcher } from './address-matcher.js';

/** An agent living in this process (`porthole up`): the proxy hands it sockets directly. */
export interface LocalGateway {
  agentId: string;
  relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, grant: GrantPayload): void;
  handleRequest(req: IncomingMessage, res: ServerResponse, grant: GrantPayload): void;
  /** Its gateway's streams, for the server's metrics (path `local-gateway`). */
  meter?(): StreamMeter;
}

export interface EmbeddedProxyDeps {
  auth: Pick<AuthService, 'resolveSession'>;
  streams: Pick<StreamAuthService, 'authorize'>;
  log: { warn(obj: object, msg: string): void };
  limits?: Partial<StreamLimits>;
  /** Peers whose X-Forwarded-* headers are passed on (`--behind-proxy`); others' are replaced. */
  trustedProxies?: string[];
}

function refuse(socket: Duplex, err: unknown): void {
  const status = err instanceof DomainError ? err.status : 500;
  const body = JSON.stringify({
    error: {
      code: err instanceof DomainError ? err.code : 'internal',
      message: err instanceof DomainError ? err.message : 'internal error',
    },
  });
  socket.end(
    `HTTP/1.1 ${status} ${status < 500 ? 'Refused' : 'Error'}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const FORWARDED = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port'];

/**
 * The embedded proxy: `/session/<id>/…` (HTTP and WebSocket) goes to the session's agent after
 * the same authorization the nginx `auth_request` uses. Bytes stream both ways, never buffered;
 * upgraded sockets are piped by http-proxy-3 (so backpressure holds) and watched by a StreamGuard.
 */
export class EmbeddedProxy {
  private local: LocalGateway | undefined;
  private readonly guard: StreamGuard;
  private readonly trusted: AddressMatcher;
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };
  private readonly proxy: ProxyServer;

  constructor(private readonly deps: EmbeddedProxyDeps) {
    this.trusted = addressMatcher(deps.trustedProxies ?? []);
    const relay = createGuardedProxy({
      limits: deps.limits,
      log: deps.log,
      upstream: 'agent',
      options: { xfwd: true },
    });
    this.proxy = relay.proxy;
    this.guard = relay.guard;
  }

  setLocalGateway(gateway: LocalGateway | undefined): void {
    this.local = gateway;
  }

  /** Streams relayed to remote agents now (the local gateway counts its own). */
  get activeStreams(): number {
    return this.guard.size;
  }

  /** Streams by the hop that carries them, for the metrics. */
  streamMeters(): Array<StreamMeter & { path: 'embedded-proxy' | 'local-gateway' }> {
    const local = this.local?.meter?.();
    return [
      { path: 'embedded-proxy', ...this.guard.meter() },
      ...(local ? [{ path: 'local-gateway' as const, ...local }] : []),
    ];
  }

  register(app: FastifyInstance): void {
    const handler = async (
      request: { raw: IncomingMessage; url: string; caller: Caller | null },
      reply: { hijack(): void; raw: ServerResponse },
    ) => {
      const route = parseSessionPath(request.url);
      if (!route) throw new NotFoundError('not a session path');
      const auth = await this.deps.streams.authorize(request.caller, route.sessionId);
      reply.hijack();
      if (this.local?.agentId === auth.agentId) {
        this.local.handleRequest(request.raw, reply.raw, auth.grantPayload);
        return;
      }
      this.forwardable(request.raw);
      this.proxy.web(request.raw, reply.raw, {
        target: auth.agentUrl,
        agent: this.agentFor(auth.agentUrl),
        headers: { [GRANT_HEADER]: auth.grant },
      });
    };
    app.route({ method: ['GET', 'HEAD'], url: '/session/*', handler });
    // preClose: the server's close waits for every socket, and upgraded ones never go by themselves.
    app.addHook('preClose', async () => this.close());
  }

  /** A WebSocket upgrade of a session path (the route table sends `/session/…` here). */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.upgrade(req, socket, head).catch((err) => refuse(socket, err));
  };

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const route = parseSessionPath(req.url);
    if (!route) {
      refuse(socket, new NotFoundError('not a session path'));
      return;
    }
    const caller = await upgradeCaller(this.deps.auth, req);
    const auth = await this.deps.streams.authorize(caller, route.sessionId);
    if (socket.destroyed) return;
    if (this.local?.agentId === auth.agentId) {
      this.local.relayUpgrade(req, socket, head, auth.grantPayload);
      return;
    }
    this.forwardable(req);
    this.guard.track(socket);
    this.proxy.ws(req, socket, head, {
      target: auth.agentUrl,
      headers: { [GRANT_HEADER]: auth.grant },
    });
  }

  /** The agent gets the grant, never the browser's credentials; X-Forwarded-* only from trusted peers. */
  private forwardable(req: IncomingMessage): void {
    delete req.headers.cookie;
    delete req.headers.authorization;
    delete req.headers[GRANT_HEADER];
    if (!this.trusted(req.socket.remoteAddress)) for (const h of FORWARDED) delete req.headers[h];
  }

  private agentFor(url: string): HttpAgent {
    return url.startsWith('https:') ? this.agents.https : this.agents.http;
  }

  /** Closes every relayed stream and idle upstream connection (the server is stopping). */
  close(): void {
    this.guard.closeAll();
    this.proxy.close();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
