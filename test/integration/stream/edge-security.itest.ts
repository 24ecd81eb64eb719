import type { SessionView } from '@porthole/contracts';
import { APP_CSP, HSTS, SESSION_CSP } from '@porthole/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type HttpReply, http, nextAddress } from '../../support/http.js';
import { startNginx, type TestNginx } from './nginx.js';
import { rawUpgrade } from './paths.js';
import { firefoxImagePresent, type StreamStack, startStreamStack } from './stack.js';

/**
 * Security at the edges, on the real server, agent and nginx: which pages may open the stream and
 * the chat (the Origin matrix), the CSRF guard on cookie requests, and the browser-hardening
 * headers on every kind of answer, direct and through nginx.
 */
const haveImage = await firefoxImagePresent();
const FOREIGN = 'https://evil.example';

let stack: StreamStack;
let nginx: TestNginx;
let session: SessionView;

beforeAll(async () => {
  if (!haveImage) return;
  stack = await startStreamStack('edge');
  try {
    nginx = await startNginx(stack.t.server.url, stack.nginxPort);
    stack.t.server.services.proxy.setLocalGateway(undefined);
    session = await stack.launch(stack.owner);
  } catch (err) {
    await nginx?.stop();
    await stack.stop();
    throw err;
  }
});
afterAll(async () => {
  await nginx?.stop();
  await stack?.stop();
});

interface Entry {
  name: string;
  /** Where the browser talks to (its page origin is the allowed one). */
  base: () => string;
  ca: () => string | undefined;
  target: () => string;
}

const ENTRIES: Entry[] = [
  {
    name: 'stream via the embedded proxy',
    base: () => stack.t.server.url,
    ca: () => undefined,
    target: () => `/session/${session.id}/websockify`,
  },
  {
    name: 'stream via nginx',
    base: () => nginx.url,
    ca: () => nginx.ca,
    target: () => `/session/${session.id}/websockify`,
  },
  {
    name: 'chat direct',
    base: () => stack.t.server.url,
    ca: () => undefined,
    target: () => `/api/sessions/${session.id}/chat`,
  },
  {
    name: 'chat via nginx',
    base: () => nginx.url,
    ca: () => nginx.ca,
    target: () => `/api/sessions/${session.id}/chat`,
  },
];

describe.skipIf(!haveImage).each(ENTRIES)('the Origin of a WebSocket: $name', (entry) => {
  const open = (origin: string | string[] | null) => {
    const ca = entry.ca();
    return rawUpgrade(entry.base(), entry.target(), {
      cookie: stack.owner.browser.cookie ?? '',
      origin,
      ...(ca ? { ca } : {}),
    });
  };

  it('switches protocols for the allowed origin only', async () => {
    const own = new URL(entry.base()).origin;
    expect((await open(own)).status).toBe(101);
    // The scheme's case does not make another origin.
    expect((await open(own.replace(/^https?/, (m) => m.toUpperCase()))).status).toBe(101);
  });

  it.each([
    ['a foreign origin', FOREIGN],
    ['null', 'null'],
    ['no Origin', null],
    ['another port of the same host', 'http://127.0.0.1:1'],
  ])('refuses (403) %s', async (_what, origin) => {
    const r = await open(origin);
    expect(r.status).toBe(403);
  });

  it('refuses (403) two Origin lines, even two allowed ones', async () => {
    const own = new URL(entry.base()).origin;
    expect((await open([own, FOREIGN])).status).toBe(403);
    expect((await open([FOREIGN, own])).status).toBe(403);
    expect((await open([own, own])).status).toBe(403);
  });
});

describe.skipIf(!haveImage)('the stream’s plain HTTP needs no Origin', () => {
  it('serves the session page without one, direct and through nginx', async () => {
    const cookie = `porthole_session=${stack.owner.browser.cookie}`;
    const direct = await http(`${stack.t.server.url}/session/${session.id}/`, { headers: { cookie } });
    const proxied = await http(`${nginx.url}/session/${session.id}/`, { headers: { cookie }, ca: nginx.ca });
    expect(direct.status).toBeLessThan(400);
    expect(proxied.status).toBeLessThan(400);
  });
});

describe.skipIf(!haveImage)('state-changing requests with the cookie (CSRF)', () => {
  /** The owner's cookie in a client whose page origin (or Sec-Fetch-Site) is `origin`. */
  const asPage = (base: string, origin: string | null, headers: Record<string, string> = {}) => {
    const client = new ApiClient(base, { origin, forwardedFor: nextAddress(), headers, ca: nginx.ca });
    client.cookie = stack.owner.browser.cookie;
    return client;
  };

  it('refuses a POST from a foreign page (403) and takes it from our own, direct and through nginx', async () => {
    for (const base of [stack.t.server.url, nginx.url]) {
      const refused = await asPage(base, FOREIGN).post(`/api/sessions/${session.id}/keepalive`);
      expect(refused.status, base).toBe(403);
      expect(refused.body).toEqual({
        error: { code: 'forbidden', message: `origin ${FOREIGN} is not allowed` },
      });
      const ok = await asPage(base, new URL(base).origin).post(`/api/sessions/${session.id}/keepalive`);
      expect(ok.status, `${base}: ${ok.text}`).toBe(200);
    }
  });

  it('refuses a DELETE and a sign-in from a foreign page, and null', async () => {
    const base = stack.t.server.url;
    expect((await asPage(base, FOREIGN).delete(`/api/sessions/${session.id}`)).status).toBe(403);
    expect((await asPage(base, 'null').post(`/api/sessions/${session.id}/keepalive`)).status).toBe(403);
    const signIn = await new ApiClient(base, { origin: FOREIGN, forwardedFor: nextAddress() }).login(
      stack.owner.username,
      'wrong-password-anyway',
    );
    expect(signIn.status).toBe(403);
    // The session is still there.
    expect((await stack.owner.browser.get(`/api/sessions/${session.id}`)).status).toBe(200);
  });

  it('without Origin: follows Sec-Fetch-Site, and lets a client that is no browser through', async () => {
    const base = stack.t.server.url;
    const path = `/api/sessions/${session.id}/keepalive`;
    expect((await asPage(base, null, { 'sec-fetch-site': 'cross-site' }).post(path)).status).toBe(403);
    expect((await asPage(base, null, { 'sec-fetch-site': 'same-site' }).post(path)).status).toBe(403);
    expect((await asPage(base, null, { 'sec-fetch-site': 'same-origin' }).post(path)).status).toBe(200);
    expect((await asPage(base, null).post(path)).status).toBe(200);
  });

  it('does not apply to API keys, whatever the Origin', async () => {
    const key = await stack.admin.browser.expect<{ api_key: string; api_key_secret: string }>(
      201,
      'POST',
      '/api/admin/api-keys',
      { name: 'edge-origin', permissions: ['global_admin'] },
    );
    const bearer = new ApiClient(stack.t.server.url, {
      origin: FOREIGN,
      headers: { authorization: `Bearer ${key.api_key}:${key.api_key_secret}` },
    });
    const r = await bearer.post('/api/admin/zones', {});
    expect(r.status, r.text).toBe(400);
  });
});

/** Each hardening header exactly once (node joins repeated lines with ", "). */
function expectHardened(r: HttpReply, where: string, csp: string, tls: boolean): void {
  expect(r.headers['x-content-type-options'], where).toBe('nosniff');
  expect(r.headers['referrer-policy'], where).toBe('strict-origin-when-cross-origin');
  expect(r.headers['cross-origin-opener-policy'], where).toBe('same-origin');
  expect(r.headers['x-frame-options'], where).toBe('DENY');
  expect(r.headers['content-security-policy'], where).toBe(csp);
  expect(r.headers['strict-transport-security'], where).toBe(tls ? HSTS : undefined);
}

describe.skipIf(!haveImage)('security headers', () => {
  it('on the web app, an API route, a 404, a refusal and a session page: direct and through nginx', async () => {
    const cookie = `porthole_session=${stack.owner.browser.cookie}`;
    for (const [base, ca, tls] of [
      [stack.t.server.url, undefined, false],
      [nginx.url, nginx.ca, true],
    ] as const) {
      const get = (path: string, headers: Record<string, string> = {}) =>
        http(`${base}${path}`, { headers, ...(ca ? { ca } : {}) });
      expectHardened(await get('/'), `${base}/`, APP_CSP, tls);
      expectHardened(await get('/api/health'), `${base}/api/health`, APP_CSP, tls);
      const missing = await get('/api/no-such-route');
      expect(missing.status).toBe(404);
      expectHardened(missing, `${base} 404`, APP_CSP, tls);
      const unauthorized = await get('/api/auth/me');
      expect(unauthorized.status).toBe(401);
      expectHardened(unauthorized, `${base} 401`, APP_CSP, tls);
      const refused = await http(`${base}/api/sessions/${session.id}/keepalive`, {
        method: 'POST',
        headers: { cookie, origin: FOREIGN },
        body: {},
        ...(ca ? { ca } : {}),
      });
      expect(refused.status).toBe(403);
      expectHardened(refused, `${base} 403`, APP_CSP, tls);
      const page = await get(`/session/${session.id}/`, { cookie });
      expectHardened(page, `${base} session page`, SESSION_CSP, tls);
    }
  });

  it('HSTS over the server’s own TLS or a trusted proxy’s X-Forwarded-Proto: https only', async () => {
    const viaProxy = await http(`${stack.t.server.url}/api/health`, {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(viaProxy.headers['strict-transport-security']).toBe(HSTS);
  });
});
