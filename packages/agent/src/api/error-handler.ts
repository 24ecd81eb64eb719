import type { ErrorBody } from '@porthole/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';
import { AgentError } from '../util/errors.js';

function body(code: ErrorBody['error']['code'], message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Every failure leaves as `{ error: { code, message, details? } }`, the same shape as the server's. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AgentError | Error, request, reply) => {
    if (err instanceof AgentError) {
      if (err.statusCode >= 500) request.log.error({ err: err.message }, 'agent API error');
      return reply.status(err.statusCode).send(body(err.code, err.message, err.details));
    }
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, wrong content type, body too large.
      return reply.status(status).send(body('invalid', `body: ${err.message}`));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(body('internal', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(body('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
