import type { ApiKeyPermission } from '@porthole/contracts';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

/**
 * Who is calling, as the caller hook resolved it once per request (auth/caller-hook.ts). It lives
 * here, a leaf, because every resource's routes and services read it while only auth writes it.
 */
export interface Caller {
  userId: string;
  username: string;
  isAdmin: boolean;
  /** Present when the caller signed in with a browser session. */
  sessionTokenHash?: Buffer;
  /** Present when the caller is an API key (then no user: see API_KEY_USER_ID). */
  apiKey?: ApiKeyIdentity;
}

/** Who calls when a request carries an API key: the key, never a user. */
export interface ApiKeyIdentity {
  id: string;
  name: string;
  permissions: readonly ApiKeyPermission[];
  readOnly: boolean;
}

/**
 * The user id an API-key caller carries: the nil UUID, which names no user. Anything that needs
 * a real user goes through `requireUser`, which refuses keys; the value only keeps admin code
 * that compares ids (e.g. "you cannot delete yourself") and uuid columns safe.
 */
export const API_KEY_USER_ID = '00000000-0000-0000-0000-000000000000';

/** Whether the key holds one of `anyOf`; `global_admin` holds them all. */
export function keyMay(key: ApiKeyIdentity, anyOf: readonly ApiKeyPermission[]): boolean {
  return key.permissions.includes('global_admin') || anyOf.some((p) => key.permissions.includes(p));
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
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
