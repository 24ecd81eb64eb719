import type { FastifyInstance } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import type { AuthService } from './auth-service.js';
import { readSessionToken } from './session-cookie.js';

const BEARER = /^bearer\s+(\S+)\s*$/i;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route checks its own credentials (`/metrics`: a metrics token is a Bearer but no API
     * key); the hook resolves no caller for it and refuses nothing.
     */
    ownCredentials?: boolean;
  }
}

/**
 * One hook resolves who is calling: an API key (`Authorization: Bearer <api_key>:<api_key_secret>`,
 * which wins over a cookie and fails with 401 when wrong) or the session cookie. The guards that
 * read the result are in http/caller.ts.
 */
export function installCallerHook(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.ownCredentials) {
      request.caller = null;
      return;
    }
    const authorization = request.headers.authorization;
    if (authorization && /^bearer\s/i.test(authorization)) {
      const m = BEARER.exec(authorization);
      if (!m?.[1]) throw new UnauthorizedError('bearer credentials must be <api_key>:<api_key_secret>');
      request.caller = await auth.resolveApiKey(m[1]);
      return;
    }
    const token = readSessionToken(request.headers.cookie);
    request.caller = token ? await auth.resolveSession(token) : null;
  });
}
