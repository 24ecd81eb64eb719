import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { AuthService, Caller } from './auth-service.js';

export const SESSION_COOKIE = 'porthole_session';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/** One hook resolves who is calling (session cookie now; API keys join here later). */
export function installCallerHook(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    request.caller = token ? await auth.resolveSession(token) : null;
  });
}

export function requireUser(request: FastifyRequest): Caller {
  if (!request.caller) throw new UnauthorizedError('sign in first');
  return request.caller;
}

export function requireAdmin(request: FastifyRequest): Caller {
  const caller = requireUser(request);
  if (!caller.isAdmin) throw new ForbiddenError('administrators only');
  return caller;
}
