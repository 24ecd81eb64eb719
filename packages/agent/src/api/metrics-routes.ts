import { createHash, timingSafeEqual } from 'node:crypto';
import { isDirectLoopback } from '@porthole/stream';
import type { FastifyInstance } from 'fastify';
import { AgentError } from '../util/errors.js';

export interface MetricsEndpoint {
  readonly contentType: string;
  render(): Promise<string>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `GET /metrics` (Prometheus text format) for the metrics token (`--metrics-token`) or a scraper
 * on this machine talking to the agent directly. Public to the grant hook: grants are for the
 * server's calls, and a scraper has none.
 */
export function metricsRoutes(
  app: FastifyInstance,
  metrics: MetricsEndpoint,
  token: string | undefined,
): void {
  app.get('/metrics', { config: { public: true } }, async (request, reply) => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      // Digests, so the comparison takes the same time whatever the length of the guess.
      if (!token || !given || !timingSafeEqual(digest(given), digest(token)))
        throw new AgentError('unauthorized', 'this metrics token is not valid');
    } else if (!isDirectLoopback(request.socket.remoteAddress, request.headers)) {
      throw new AgentError('unauthorized', 'metrics need the metrics token (Authorization: Bearer)');
    }
    const body = await metrics.render();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(body);
  });
}
