import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * One 'upgrade' listener for the whole server: each WebSocket endpoint claims its paths, and an
 * upgrade nobody claims is answered 404 instead of hanging.
 */
export class UpgradeRouter {
  private readonly routes: Array<{ matches: (path: string) => boolean; handle: UpgradeHandler }> = [];

  add(matches: (path: string) => boolean, handle: UpgradeHandler): void {
    this.routes.push({ matches, handle });
  }

  attach(app: FastifyInstance): void {
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const route = this.routes.find((r) => r.matches(path));
      if (route) route.handle(req, socket, head);
      else socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
  }
}
