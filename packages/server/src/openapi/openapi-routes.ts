import type { FastifyInstance } from 'fastify';
import type { KasmEndpoint } from '../kasm-api/kasm-endpoints.js';
import { buildOpenApiDocument } from './openapi-document.js';

/** `GET /api/openapi.json`, public: built once, on first request. */
export function openApiRoutes(app: FastifyInstance, kasm: readonly KasmEndpoint[]): void {
  let doc: Record<string, unknown> | undefined;
  app.get('/api/openapi.json', async (_request, reply) => {
    doc ??= buildOpenApiDocument(kasm);
    return reply.header('cache-control', 'no-cache').send(doc);
  });
}
