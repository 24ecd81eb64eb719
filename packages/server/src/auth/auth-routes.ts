import { loginRequestSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import { requireUser } from '../http/caller.js';
import { parse } from '../http/parse.js';
import type { AuthService } from './auth-service.js';
import { clearSessionCookie, readSessionToken, setSessionCookie } from './session-cookie.js';

export function authRoutes(app: FastifyInstance, auth: AuthService): void {
  app.post('/api/auth/login', async (request, reply) => {
    const input = parse(loginRequestSchema, request.body);
    const result = await auth.login(input, {
      address: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
    setSessionCookie(reply, request, result.token, result.expiresAt);
    return { user: result.user };
  });

  app.post('/api/auth/logout', async (request, reply) => {
    const token = readSessionToken(request.headers.cookie);
    if (token) await auth.logout(token, auditContext(request));
    clearSessionCookie(reply, request);
    return reply.status(204).send();
  });

  app.get('/api/auth/me', async (request) => ({ user: await auth.me(requireUser(request)) }));
}
