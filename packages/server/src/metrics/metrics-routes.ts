import type { FastifyInstance } from 'fastify';
import { type MetricsAccessDeps, metricsAccess } from './metrics-access.js';

export interface MetricsEndpoint {
  readonly contentType: string;
  render(): Promise<string>;
}

/**
 * `GET /metrics` in the Prometheus text format. `ownCredentials`: the caller hook leaves this
 * route's Authorization alone, because a metrics token is a Bearer that is no API key.
 */
export function metricsRoutes(
  app: FastifyInstance,
  metrics: MetricsEndpoint,
  access: MetricsAccessDeps,
): void {
  app.get('/metrics', { config: { ownCredentials: true } }, async (request, reply) => {
    await metricsAccess({ peer: request.socket.remoteAddress, headers: request.headers }, access);
    const body = await metrics.render();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(body);
  });
}
