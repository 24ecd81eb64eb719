import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { AuthService, Caller } from './auth-service.js';

export const SESSION_COOKIE = 'porthole_session';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

const BEARER = /^bearer\s+(\S+)\s*$/i;

/**
 * One hook resolves who is calling: an API key (`Authorization: Bearer <api_key>:<api_key_secret>`,
 * which wins over a cookie and fails with 401 when wrong) or the session cookie.
 */
export function installCallerHook(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    if (authorization && /^bearer\s/i.test(authorization)) {
      const m = BEARER.exec(authorization);
      if (!m?.[1]) throw new UnauthorizedError('bearer credentials must be <api_key>:<api_key_secret>');
      request.caller = await auth.resolveApiKey(m[1]);
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    request.caller = token ? await auth.resolveSession(token) : null;
  });
}

/** A signed-in user. API keys act for no user, so they are refused here. */
export function requireUser(request: FastifyRequest): Caller {
  if (!request.caller) throw new UnauthorizedError('sign in first');
  if (request.caller.apiKey) {
    throw new ForbiddenError(
      'API keys act for no user: use /api/admin/* (global_admin) or the developer API under /api/public/',
    );
  }
  return request.caller;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An administrator, or an API key with global_admin (a read-only key only for reads). */
export function requireAdmin(request: FastifyRequest): Caller {
  const caller = request.caller;
  if (!caller) throw new UnauthorizedError('sign in first');
  if (caller.apiKey) {
    if (!caller.apiKey.permissions.includes('global_admin')) {
      throw new ForbiddenError('this API key lacks the global_admin permission');
    }
    if (caller.apiKey.readOnly && !READS.has(request.method)) {
      throw new ForbiddenError('this API key is read-only');
    }
    return caller;
  }
  if (!caller.isAdmin) throw new ForbiddenError('administrators only');
  return caller;
}
