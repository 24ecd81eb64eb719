import type { IncomingHttpHeaders } from 'node:http';
import { isDirectLoopback } from '@porthole/stream';
import type { AuthService } from '../auth/auth-service.js';
import { readSessionToken } from '../auth/session-cookie.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { safeEqual, sha256 } from '../platform/crypto.js';

/** How a scrape was let in. */
export type MetricsGrant = 'token' | 'api-key' | 'admin' | 'loopback';

export interface MetricsRequest {
  /** The TCP peer (`socket.remoteAddress`), not the address X-Forwarded-For claims. */
  peer: string | undefined;
  headers: IncomingHttpHeaders;
}

export interface MetricsAccessDeps {
  /** `--metrics-token`; unset, no token opens the endpoint. */
  token?: string | undefined;
  auth: Pick<AuthService, 'resolveApiKey' | 'resolveSession'>;
}

const BEARER = /^bearer\s+(\S+)\s*$/i;

/**
 * Who may read /metrics: the metrics token, an API key with global_admin, a signed-in
 * administrator, or a process on this machine talking to the server directly. The metrics carry
 * no secrets but do describe the installation (how many sessions, which agents), so they are never
 * open to everyone. Credentials that are presented and wrong are refused, even from loopback.
 */
export async function metricsAccess(req: MetricsRequest, deps: MetricsAccessDeps): Promise<MetricsGrant> {
  const authorization = req.headers.authorization;
  if (authorization && /^\s*bearer(\s|$)/i.test(authorization)) {
    const credential = BEARER.exec(authorization)?.[1];
    if (!credential)
      throw new UnauthorizedError('bearer credentials must be the metrics token or an API key');
    // Digests, so the comparison takes the same time whatever the length of the guess.
    if (deps.token && safeEqual(sha256(credential), sha256(deps.token))) return 'token';
    if (!credential.includes(':')) throw new UnauthorizedError('this metrics token is not valid');
    const caller = await deps.auth.resolveApiKey(credential);
    if (!caller.apiKey?.permissions.includes('global_admin'))
      throw new ForbiddenError('this API key lacks the global_admin permission');
    return 'api-key';
  }
  const session = readSessionToken(req.headers.cookie);
  const caller = session ? await deps.auth.resolveSession(session) : null;
  if (caller?.isAdmin) return 'admin';
  if (isDirectLoopback(req.peer, req.headers)) return 'loopback';
  if (caller) throw new ForbiddenError('administrators only');
  throw new UnauthorizedError('metrics need the metrics token, an admin API key or an administrator');
}
