import type { FastifyError, FastifyInstance } from 'fastify';
import type { ApiKeyService } from '../api-keys/api-key-service.js';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../db/unavailable.js';
import { DomainError } from '../errors.js';
import { parse } from '../http/parse.js';
import { authenticateKasm, authorizeKasm } from './kasm-auth.js';
import type { KasmEndpoint } from './kasm-endpoints.js';

export const KASM_PREFIX = '/api/public';

export interface KasmApi {
  keys: Pick<ApiKeyService, 'authenticate'>;
  endpoints: KasmEndpoint[];
}

/**
 * The Kasm-compatible developer API: every endpoint is `POST /api/public/<name>` with a JSON body,
 * and every failure is `{"error_message": "…"}`. Its own plugin scope with its own error and
 * not-found handlers, so nothing here ever answers in the native `{error: {code, message}}` shape.
 */
export function registerKasmApi(app: FastifyInstance, api: KasmApi): void {
  app.register(
    async (kasm) => {
      kasm.setErrorHandler((err: FastifyError | DomainError | Error, request, reply) => {
        if (err instanceof DomainError) {
          return reply.status(err.status).send({ error_message: err.message });
        }
        const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
        if (status >= 400 && status < 500) return reply.status(status).send({ error_message: err.message });
        if (isDatabaseUnavailable(err)) {
          request.log.warn({ err: err.message }, 'developer API: database unavailable');
          return reply
            .status(503)
            .header('retry-after', '5')
            .send({ error_message: DATABASE_UNAVAILABLE_MESSAGE });
        }
        request.log.error({ err }, 'developer API: unhandled error');
        return reply.status(500).send({ error_message: 'internal error' });
      });
      const known = new Set(api.endpoints.map((e) => e.name));
      kasm.setNotFoundHandler((request, reply) => {
        const name = (request.url.split('?')[0] ?? '').slice(KASM_PREFIX.length + 1);
        // A client that did POST must hear the name is wrong, not a lecture about the method.
        const error_message = known.has(name)
          ? `${name} takes POST only, not ${request.method}`
          : `no such developer API endpoint: ${name}`;
        return reply.status(404).send({ error_message });
      });
      for (const e of api.endpoints) {
        kasm.post(`/${e.name}`, async (request, reply) => {
          const key = await authenticateKasm(api.keys, request.headers.authorization, request.body);
          authorizeKasm(key, e.name, e.permissions, e.write);
          const input = parse(e.body, request.body);
          reply.header('cache-control', 'no-store');
          return e.handle(input, key);
        });
      }
    },
    { prefix: KASM_PREFIX },
  );
}
