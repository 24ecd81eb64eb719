import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type GrantPayload, parseSessionPath } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { createProxyServer } from 'http-proxy-3';
import type { AuthService, Caller } from '../auth/auth-service.js';
import { SESSION_COOKIE } from '../auth/caller-hook.js';
import { DomainError, NotFoundError } from '../errors.js';
import type { UpgradeRouter } from '../http/upgrade-router.js';
import type { StreamAuthService } from './stream-auth.js';

export const GRANT_HEADER = 'x-porthole-grant';

/** An agent living in this process (`porthole up`): the proxy hands it sockets directly. */
export interface LocalGateway {
  agentId: string;
  relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, grant: GrantPayload): void;
  handleRequest(req: IncomingMessage, res: ServerResponse, grant: GrantPayload): void;
}

function refuse(socket: Duplex, err: unknown): void {
  const status = err instanceof DomainError ? err.status : 500;
  const body = JSON.stringify({
    error: {
      code: err instanceof DomainError ? err.code : 'internal',
      message: err instanceof Error ? err.message : 'error',
    },
  });
  socket.end(
    `HTTP/1.1 ${status} ${status < 500 ? 'Refused' : 'Error'}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * The embedded proxy: `/session/<id>/…` (HTTP and WebSocket) goes to the session's agent after
 * the same authorization the nginx `auth_request` uses. Bytes stream both ways, never buffered.
 */
export class EmbeddedProxy {
  private local: LocalGateway | undefined;
  private readonly proxy = createProxyServer({ ws: true, xfwd: true, proxyTimeout: 60_000, secure: false });

  constructor(
    private readonly deps: {
      auth: AuthService;
      streams: StreamAuthService;
      upgrades: UpgradeRouter;
      log: { warn(obj: object, msg: string): void };
    },
  ) {
    this.proxy.on('error', (err, _req, res) => {
      deps.log.warn({ err: err.message }, 'proxy upstream error');
      if (res && 'writeHead' in res && !res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'unavailable', message: 'agent is not reachable' } }));
      } else res?.destroy();
    });
  }

  setLocalGateway(gateway: LocalGateway | undefined): void {
    this.local = gateway;
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
      delete request.raw.headers.cookie;
      this.proxy.web(request.raw, reply.raw, {
        target: auth.agentUrl,
        headers: { [GRANT_HEADER]: auth.grant },
      });
    };
    app.route({ method: ['GET', 'HEAD'], url: '/session/*', handler });

    this.deps.upgrades.add(
      (path) => path.startsWith('/session/'),
      (req, socket, head) => {
        this.upgrade(app, req, socket, head).catch((err) => refuse(socket, err));
      },
    );
  }

  private async upgrade(
    app: FastifyInstance,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const route = parseSessionPath(req.url);
    if (!route) {
      refuse(socket, new NotFoundError('not a session path'));
      return;
    }
    const token = app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
    const caller = token ? await this.deps.auth.resolveSession(token) : null;
    const auth = await this.deps.streams.authorize(caller, route.sessionId);
    if (this.local?.agentId === auth.agentId) {
      this.local.relayUpgrade(req, socket, head, auth.grantPayload);
      return;
    }
    delete req.headers.cookie;
    this.proxy.ws(req, socket as never, head, {
      target: auth.agentUrl,
      headers: { [GRANT_HEADER]: auth.grant },
    });
  }

  close(): void {
    this.proxy.close();
  }
}
