import { loginRequestSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { parse } from '../http/parse.js';
import type { AuthService } from './auth-service.js';
import { requireUser, SESSION_COOKIE } from './caller-hook.js';

export function authRoutes(app: FastifyInstance, auth: AuthService, secureCookies: boolean): void {
  app.post('/api/auth/login', async (request, reply) => {
    const input = parse(loginRequestSchema, request.body);
    const result = await auth.login(input, {
      address: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
    });
    reply.setCookie(SESSION_COOKIE, result.token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: secureCookies,
      expires: result.expiresAt,
    });
    return { user: result.user };
  });

  app.post('/api/auth/logout', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await auth.logout(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies });
    return reply.status(204).send();
  });

  app.get('/api/auth/me', async (request) => ({ user: await auth.me(requireUser(request)) }));
}
