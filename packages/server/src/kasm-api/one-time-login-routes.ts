import { oneTimeLoginQuerySchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { setSessionCookie } from '../auth/session-cookie.js';
import { parse } from '../http/parse.js';
import { ONE_TIME_LOGIN_PATH, type OneTimeLoginService } from './one-time-login-service.js';

/** `GET /api/auth/one-time?token=…`: signs the browser in and sends it to the session. */
export function oneTimeLoginRoutes(app: FastifyInstance, logins: OneTimeLoginService): void {
  app.get(ONE_TIME_LOGIN_PATH, async (request, reply) => {
    const { token } = parse(oneTimeLoginQuerySchema, request.query, 'query');
    const result = await logins.redeem(token, {
      address: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
    setSessionCookie(reply, request, result.token, result.expiresAt);
    return reply.header('cache-control', 'no-store').redirect(result.location, 302);
  });
}
