import type { GrantPayload } from '@porthole/contracts';
import type { GrantVerifier } from '@porthole/stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AgentError } from '../util/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The grant action a route needs; routes without it (and not `public`) refuse everyone. */
    grant?: GrantPayload['act'];
    public?: boolean;
  }
}

/** A verifier once the agent knows its identity; null before registration completes. */
export type VerifierSource = () => GrantVerifier | null;

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

/**
 * The session id a grant claims, read without trust; used only when a create body has no usable
 * sessionId, so a valid grant still gets "400 sessionId" rather than a misleading 401.
 */
export function claimedSessionId(token: string): string | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  try {
    const payload = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as unknown;
    if (typeof payload !== 'object' || payload === null) return null;
    const sid = (payload as { sid?: unknown }).sid;
    return typeof sid === 'string' ? sid : null;
  } catch {
    return null;
  }
}

function sessionIdOf(request: FastifyRequest, action: GrantPayload['act'], token: string): string {
  if (action === 'create') {
    const body = request.body;
    const sid =
      typeof body === 'object' && body !== null ? (body as { sessionId?: unknown }).sessionId : undefined;
    return typeof sid === 'string' && sid !== '' ? sid : (claimedSessionId(token) ?? '');
  }
  const params = request.params as { id?: unknown } | undefined;
  return typeof params?.id === 'string' ? params.id : '';
}

/**
 * Every route needs a grant the server signed for this agent, this session and this action,
 * except those marked public. Runs as preHandler because a create's session id is in the body.
 */
export function installGrantAuth(app: FastifyInstance, verifier: VerifierSource): void {
  app.addHook('preHandler', async (request) => {
    if (request.is404) return;
    const config = request.routeOptions.config;
    if (config.public) return;
    const current = verifier();
    if (!current) throw new AgentError('unavailable', 'the agent is not registered with a server yet');
    const action = config.grant;
    if (!action) throw new AgentError('unauthorized', 'this route accepts no grant');
    const token = bearer(request);
    const sessionId = token ? sessionIdOf(request, action, token) : '';
    const check = current.check(token, { sessionId, action });
    if (!check.ok) {
      request.log.warn({ sessionId, action, reason: check.reason, ip: request.ip }, 'grant refused');
      throw new AgentError('unauthorized', check.reason);
    }
  });
}
