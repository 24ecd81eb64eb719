import type { AuditActorType } from '@porthole/contracts';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyIdentity } from '../http/caller.js';

/** Who did it and from where; the routes build it from the request, services pass it on. */
export interface AuditContext {
  actor: { type: AuditActorType; id: string | null; name: string };
  /** The client address the server believes (peer, or X-Forwarded-For from a trusted proxy). */
  address: string | null;
}

/** The caller of `request`; an anonymous one (a failed sign-in) is named by `name`. */
export function auditContext(request: FastifyRequest, name = ''): AuditContext {
  const caller = request.caller;
  const address = request.ip ?? null;
  if (caller?.apiKey)
    return { actor: { type: 'api_key', id: caller.apiKey.id, name: caller.apiKey.name }, address };
  if (caller) return { actor: { type: 'user', id: caller.userId, name: caller.username }, address };
  return { actor: { type: 'anonymous', id: null, name }, address };
}

/** A developer-API key, which reaches the services without a Fastify request in hand. */
export function apiKeyContext(
  key: Pick<ApiKeyIdentity, 'id' | 'name'>,
  address: string | null,
): AuditContext {
  return { actor: { type: 'api_key', id: key.id, name: key.name }, address };
}

/** Porthole itself (the CLI, the manager's loops): no person and no address. */
export function systemContext(name: string): AuditContext {
  return { actor: { type: 'system', id: null, name }, address: null };
}
