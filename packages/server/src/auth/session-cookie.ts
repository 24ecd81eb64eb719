import type { IncomingMessage } from 'node:http';
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../http/caller.js';

/**
 * The browser sign-in cookie: the one place that names it, reads it and sets it, so the API, the
 * stream proxy and the chat socket cannot disagree on its name or on when it is `Secure`.
 */
export const SESSION_COOKIE = 'porthole_session';

/** The sign-in token of a `Cookie` header, if any. */
export function readSessionToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  return fastifyCookie.parse(cookieHeader)[SESSION_COOKIE] || undefined;
}

function attributes(request: FastifyRequest) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    // Over TLS, ours or a TLS-terminating proxy's (its trusted X-Forwarded-Proto sets the protocol).
    secure: request.protocol === 'https',
  };
}

export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  token: string,
  expiresAt: Date,
): void {
  reply.setCookie(SESSION_COOKIE, token, { ...attributes(request), expires: expiresAt });
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest): void {
  reply.clearCookie(SESSION_COOKIE, attributes(request));
}

/** Who opens a WebSocket (stream or chat): upgrades bypass the caller hook, so they resolve here. */
export async function upgradeCaller(
  auth: { resolveSession(token: string): Promise<Caller | null> },
  req: IncomingMessage,
): Promise<Caller | null> {
  const token = readSessionToken(req.headers.cookie);
  return token ? auth.resolveSession(token) : null;
}
