import type { ErrorBody } from '@porthole/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../db/unavailable.js';
import { DomainError, RateLimitedError } from '../errors.js';

function body(code: ErrorBody['error']['code'], message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The one place where errors become HTTP: domain errors keep their status, the rest are 500. */
export function installErrorHandler(app: FastifyInstance, spaIndex?: string): void {
  app.setErrorHandler((err: FastifyError | DomainError | Error, request, reply) => {
    if (err instanceof DomainError) {
      if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfterSeconds));
      // No capacity (or the like) is temporary: say when trying again makes sense.
      else if (err.status === 503) reply.header('retry-after', '5');
      return reply.status(err.status).send(body(err.code, err.message, err.details));
    }
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, wrong content type, body too large.
      const code =
        status === 401
          ? 'unauthorized'
          : status === 403
            ? 'forbidden'
            : status === 404
              ? 'not_found'
              : 'invalid';
      return reply.status(status).send(body(code, err.message));
    }
    if (isDatabaseUnavailable(err)) {
      // Not the request's fault and not a bug: it works again once the database is back.
      request.log.warn({ err: err.message }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', '5')
        .send(body('unavailable', DATABASE_UNAVAILABLE_MESSAGE));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(body('internal', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // Client-side routes of the web app get its index page; API and session paths stay 404.
    if (
      spaIndex &&
      request.method === 'GET' &&
      !path.startsWith('/api/') &&
      !path.startsWith('/session/') &&
      !path.includes('.')
    ) {
      return reply.type('text/html').header('cache-control', 'no-cache').sendFile(spaIndex);
    }
    return reply
      .status(404)
      .send(body('not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
