import type { FastifyInstance } from 'fastify';
import { ForbiddenError } from '../errors.js';
import { type AllowedOrigins, crossSiteRefusal } from './origin.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Credentials a browser never attaches by itself: such a request cannot be forged by a page. */
const EXPLICIT_CREDENTIALS = /^(bearer|agent)\s/i;
/** The agent protocol and the developer API authenticate in the request itself, never by cookie. */
const EXEMPT_PREFIXES = ['/api/agent/', '/api/public/'];

/**
 * The second CSRF guard beside the JSON content type: a state-changing request that could ride
 * on the sign-in cookie must come from an allowed origin (see `crossSiteRefusal` for the rule).
 * Sign-in is covered too, so a foreign page cannot sign a browser in to an account it chose.
 */
export function installOriginGuard(app: FastifyInstance, origins: AllowedOrigins): void {
  app.addHook('onRequest', async (request) => {
    if (!STATE_CHANGING.has(request.method)) return;
    const authorization = request.headers.authorization;
    if (authorization && EXPLICIT_CREDENTIALS.test(authorization)) return;
    const path = request.url.split('?')[0] ?? '';
    if (EXEMPT_PREFIXES.some((p) => path.startsWith(p))) return;
    const refused = crossSiteRefusal(request.raw, origins);
    if (refused === undefined) return;
    request.log.warn(
      { path, origin: refused, method: request.method },
      'request refused: origin not allowed',
    );
    throw new ForbiddenError(`origin ${refused} is not allowed`);
  });
}
