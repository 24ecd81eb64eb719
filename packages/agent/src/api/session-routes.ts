import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** What serves a session's stream: the gateway (gateway/session-gateway.ts). */
export interface SessionStreams {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * `/session/<id>/…`, the session's web client and its RFB WebSocket. Public to the grant hook
 * because the gateway checks the proxy's stream grant itself: it must refuse upgrades too, which
 * never reach Fastify's routing.
 */
export function sessionRoutes(app: FastifyInstance, streams: SessionStreams): void {
  app.server.on('upgrade', (req, socket, head) => streams.handleUpgrade(req, socket, head));
  app.route({
    method: ['GET', 'HEAD'],
    url: '/session/*',
    config: { public: true },
    handler: (request, reply) => {
      reply.hijack();
      streams.handleRequest(request.raw, reply.raw);
    },
  });
}
