import type { FastifyInstance } from 'fastify';

export interface HttpRequestMetrics {
  /** `route` is the route's URL pattern (`/api/sessions/:id`), never the raw URL. */
  requestHandled(method: string, route: string, status: number, seconds: number): void;
}

/**
 * Times every request Fastify answers. Labelled by pattern: raw URLs carry ids and would make a
 * series per session. Requests no route matched share one label. Hijacked replies (the stream
 * proxy) are never "answered" by Fastify and are metered as streams instead.
 */
export function installHttpMetrics(app: FastifyInstance, metrics: HttpRequestMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? 'unmatched' : routeLabel(request.routeOptions.url);
    metrics.requestHandled(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}

/**
 * The web app's files are a route each with hashed names that change every release: one label
 * for all of them (the OpenAPI document's `/:file`), so a deploy does not start new series.
 */
export function routeLabel(url: string | undefined): string {
  if (url === undefined) return 'unmatched';
  if (url === '/' || url === '/metrics' || url.startsWith('/api/') || url.startsWith('/session/')) return url;
  return '/:file';
}
