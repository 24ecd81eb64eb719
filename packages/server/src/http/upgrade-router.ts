import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type AllowedOrigins, originAllowed } from './origin.js';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface UpgradeRouterDeps {
  /** Who may open a socket: every upgrade is checked here, so no new endpoint can forget it. */
  origins: AllowedOrigins;
  log: { warn(obj: object, msg: string): void };
}

/**
 * One 'upgrade' listener for the whole server: each WebSocket endpoint claims its paths, and an
 * upgrade nobody claims is answered 404 instead of hanging. Browsers let any page open a
 * WebSocket to any host with the cookie attached, so the Origin is checked before any endpoint
 * sees the request (cross-site WebSocket hijacking).
 */
export class UpgradeRouter {
  private readonly routes: Array<{ matches: (path: string) => boolean; handle: UpgradeHandler }> = [];

  constructor(private readonly deps: UpgradeRouterDeps) {}

  add(matches: (path: string) => boolean, handle: UpgradeHandler): void {
    this.routes.push({ matches, handle });
  }

  attach(app: FastifyInstance): void {
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const route = this.routes.find((r) => r.matches(path));
      if (!route) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const verdict = originAllowed(req, this.deps.origins);
      if (!verdict.allowed) {
        this.deps.log.warn({ path, origin: verdict.origin }, 'WebSocket refused: origin not allowed');
        refuseOrigin(socket, verdict.origin);
        return;
      }
      route.handle(req, socket, head);
    });
  }
}

function refuseOrigin(socket: Duplex, origin: string): void {
  const body = JSON.stringify({ error: { code: 'forbidden', message: `origin ${origin} is not allowed` } });
  socket.end(
    `HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
