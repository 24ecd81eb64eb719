import { parseSessionPath } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { DomainError, ForbiddenError, UnauthorizedError } from '../errors.js';
import { type AllowedOrigins, isWebSocketUpgrade, originAllowed } from '../http/origin.js';
import type { StreamAuthorization, StreamAuthService } from './stream-auth-service.js';

/**
 * nginx `auth_request` target: the original URI arrives in `X-Original-URI`, the cookie as sent
 * by the browser. 200 names the upstream agent and carries the grant in response headers.
 *
 * auth_request understands only 2xx, 401 and 403 (anything else becomes a 500), so every refusal
 * other than "sign in first" is a 403 here; the embedded proxy keeps the finer statuses (404 for
 * someone else's session, 409 for one that is not running).
 *
 * A WebSocket through nginx never reaches our upgrade router, so its Origin is checked here:
 * nginx names the upgrade in `X-Original-Upgrade` (the sub-request itself is a plain GET) and
 * passes the browser's headers, Origin included, as they came (repeated lines stay visible).
 * A plain GET (noVNC's files) needs no Origin, as in the embedded proxy.
 */
export function sessionAuthRoutes(
  app: FastifyInstance,
  streams: StreamAuthService,
  origins: AllowedOrigins,
): void {
  app.get('/api/internal/session-auth', async (request, reply) => {
    if (isWebSocketUpgrade(request.headers['x-original-upgrade'])) {
      const verdict = originAllowed(request.raw, origins);
      if (!verdict.allowed) {
        request.log.warn(
          { path: request.headers['x-original-uri'], origin: verdict.origin },
          'WebSocket refused: origin not allowed',
        );
        throw new ForbiddenError(`origin ${verdict.origin} is not allowed`);
      }
    }
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
