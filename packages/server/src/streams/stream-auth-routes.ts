import { parseSessionPath } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { DomainError, ForbiddenError, UnauthorizedError } from '../errors.js';
import type { StreamAuthorization, StreamAuthService } from './stream-auth-service.js';

/**
 * nginx `auth_request` target: the original URI arrives in `X-Original-URI`, the cookie as sent
 * by the browser. 200 names the upstream agent and carries the grant in response headers.
 *
 * auth_request understands only 2xx, 401 and 403 (anything else becomes a 500), so every refusal
 * other than "sign in first" is a 403 here; the embedded proxy keeps the finer statuses (404 for
 * someone else's session, 409 for one that is not running).
 */
export function sessionAuthRoutes(app: FastifyInstance, streams: StreamAuthService): void {
  app.get('/api/internal/session-auth', async (request, reply) => {
    const original = request.headers['x-original-uri'];
    const route = parseSessionPath(typeof original === 'string' ? original : undefined);
    let auth: StreamAuthorization;
    try {
      if (!route) throw new ForbiddenError('X-Original-URI is not a session path');
      auth = await streams.authorize(request.caller, route.sessionId);
    } catch (err) {
      if (err instanceof UnauthorizedError || !(err instanceof DomainError) || err.status >= 500) throw err;
      throw err instanceof ForbiddenError ? err : new ForbiddenError(err.message);
    }
    return reply
      .header('x-porthole-upstream', auth.agentUrl)
      .header('x-porthole-grant', auth.grant)
      .header('x-porthole-role', auth.role)
      .header('cache-control', 'no-store')
      .status(200)
      .send({ sessionId: auth.sessionId, role: auth.role });
  });
}
