import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The web app's policy. Scripts only from our files (Vite emits no inline script). Styles need
 * 'unsafe-inline': Mantine writes its CSS variables into <style> tags at run time and the boot
 * splash in index.html is inline. 'self' covers same-origin ws:/wss: for the stream and chat
 * sockets (CSP level 3, as Chromium and Firefox implement it).
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/**
 * `/session/<id>/…` is the workspace image's own page (its noVNC, with inline scripts we do not
 * control, written by whoever controls the container). `sandbox` gives it an opaque origin: its
 * scripts run, but not as Porthole's origin, so a page a session's user planted cannot call the
 * API or open streams with the cookie of an admin lured to it (the Origin check refuses `null`),
 * nor register a service worker. Porthole's own viewer never uses this page; it streams
 * `/session/<id>/websockify` from the web app. No framing, no plugins.
 */
export const SESSION_CSP = [
  'sandbox allow-scripts allow-forms',
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

const COMMON: ReadonlyArray<[string, string]> = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'strict-origin-when-cross-origin'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['x-frame-options', 'DENY'],
];

export const HSTS = 'max-age=31536000';

function apply(res: ServerResponse, request: FastifyRequest): void {
  for (const [name, value] of COMMON) res.setHeader(name, value);
  const path = request.url.split('?')[0] ?? '';
  res.setHeader('content-security-policy', path.startsWith('/session/') ? SESSION_CSP : APP_CSP);
  // request.protocol is https over our TLS or a trusted proxy's X-Forwarded-Proto: https.
  if (request.protocol === 'https') res.setHeader('strict-transport-security', HSTS);
}

/**
 * The browser-hardening headers on every response: set on the raw response before any route
 * runs, so hijacked replies (the session proxy), errors and 404s carry them like the rest.
 * The onSend pass covers answers Fastify makes before the onRequest hooks (a malformed URL).
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    apply(reply.raw, request);
  });
  app.addHook('onSend', async (request, reply) => {
    if (!reply.raw.hasHeader('x-content-type-options')) apply(reply.raw, request);
  });
}
