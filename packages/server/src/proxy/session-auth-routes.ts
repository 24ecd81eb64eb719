import { parseSessionPath } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../errors.js';
import type { StreamAuthService } from './stream-auth.js';

/**
 * nginx `auth_request` target: the original URI arrives in `X-Original-URI`, the cookie as sent
 * by the browser. 200 names the upstream agent and carries the grant in response headers.
 */
export function sessionAuthRoutes(app: FastifyInstance, streams: StreamAuthService): void {
  app.get('/api/internal/session-auth', async (request, reply) => {
    const original = request.headers['x-original-uri'];
    const route = parseSessionPath(typeof original === 'string' ? original : undefined);
    if (!route) throw new NotFoundError('X-Original-URI is not a session path');
    const auth = await streams.authorize(request.caller, route.sessionId);
    const upstream = new URL(auth.agentUrl);
    return reply
      .header('x-porthole-upstream', auth.agentUrl)
      .header('x-porthole-upstream-host', upstream.host)
      .header('x-porthole-grant', auth.grant)
      .header('x-porthole-role', auth.role)
      .header('cache-control', 'no-store')
      .status(200)
      .send({ sessionId: auth.sessionId, role: auth.role });
  });
}
