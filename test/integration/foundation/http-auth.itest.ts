import { performance } from 'node:perf_hooks';
import { systemContext } from '@porthole/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../packages/server/src/platform/crypto.js';
import { ApiClient, nextAddress, parseSetCookie, SESSION_COOKIE } from '../../support/http.js';
import { query } from '../support/database.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestServer, type TestServer } from '../support/server.js';

const cli = systemContext('test');

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: Array<{ field: string }> } };
}

let t: TestServer;
const PASSWORD = 'user-password-1';

beforeAll(async () => {
  // Trusting 127.0.0.1 as a proxy lets each test sign in from its own client address.
  t = await startTestServer({ trustedProxies: ['127.0.0.1'] });
});
afterAll(async () => {
  await t?.stop();
});

const browser = (address = nextAddress()) => new ApiClient(t.server.url, { forwardedFor: address });

async function createUser(username: string): Promise<string> {
  return t.server.services.users.create({ username, password: PASSWORD }, cli);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

describe('sign-in over HTTP', () => {
  it('signs in with an HttpOnly SameSite=Lax cookie (not Secure over HTTP), answers me, signs out', async () => {
    await createUser('alice@example.com');
    const b = browser();
    const login = await b.login('Alice@Example.com', PASSWORD);
    expect(login.status).toBe(200);
    expect(login.json<{ user: Record<string, unknown> }>().user).toMatchObject({
      username: 'alice@example.com',
      isAdmin: false,
      locked: false,
      disabled: false,
    });
    const cookie = parseSetCookie(login.headers, SESSION_COOKIE);
    expect(cookie?.attributes.has('httponly')).toBe(true);
    expect(cookie?.attributes.get('samesite')?.toLowerCase()).toBe('lax');
    expect(cookie?.attributes.get('path')).toBe('/');
    expect(cookie?.attributes.has('secure')).toBe(false);
    const expires = Date.parse(cookie?.attributes.get('expires') ?? '');
    expect(Math.abs(expires - (Date.now() + 12 * 3600_000))).toBeLessThan(60_000);

    // Only a hash of the token is stored.
    const token = b.cookie ?? '';
    const stored = await query(t.database.url, 'select token_hash from auth_sessions where token_hash = $1', [
      sha256(token),
    ]);
    expect(stored).toHaveLength(1);

    const me = await b.get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.json<{ user: { username: string } }>().user.username).toBe('alice@example.com');

    const out = await b.post('/api/auth/logout');
    expect(out.status).toBe(204);
    const cleared = parseSetCookie(out.headers, SESSION_COOKIE);
    expect(cleared?.value).toBe('');
    expect(Date.parse(cleared?.attributes.get('expires') ?? '')).toBeLessThan(Date.now());
    const stale = browser();
    stale.cookie = token;
    expect((await stale.get('/api/auth/me')).status).toBe(401);
  });

  it('answers me without a cookie or with a made-up one with 401', async () => {
    const anon = browser();
    const r = await anon.get('/api/auth/me');
    expect(r.status).toBe(401);
    expect(r.json<ErrorBody>().error.code).toBe('unauthorized');
    anon.cookie = 'A'.repeat(43);
    expect((await anon.get('/api/auth/me')).status).toBe(401);
  });

  it('signs in the first administrator as an administrator', async () => {
    const r = await browser().login(ADMIN_USERNAME, ADMIN_PASSWORD);
    expect(r.status).toBe(200);
    expect(r.json<{ user: { isAdmin: boolean } }>().user.isAdmin).toBe(true);
  });

  it('answers an unknown user and a wrong password with the same 401, in about the same time', async () => {
    await createUser('timing@example.com');
    const b = browser();
    const attempt = async (username: string) => {
      const started = performance.now();
      const r = await b.login(username, 'not-the-password');
      return { ms: performance.now() - started, status: r.status, body: r.json<ErrorBody>() };
    };
    await attempt('warm-up@example.com');
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) {
      const u = await attempt(`nobody-${i}@example.com`);
      const w = await attempt('timing@example.com');
      expect(u.status).toBe(401);
      expect(w.status).toBe(401);
      expect(u.body).toEqual(w.body);
      expect(u.body.error).toEqual({ code: 'unauthorized', message: 'invalid username or password' });
      unknown.push(u.ms);
      wrong.push(w.ms);
    }
    const [slow, fast] = [Math.max(median(unknown), median(wrong)), Math.min(median(unknown), median(wrong))];
    expect(slow / fast, `medians: unknown ${median(unknown)} ms, wrong ${median(wrong)} ms`).toBeLessThan(3);
  });

  it('refuses locked and disabled users, and ends their open sessions', async () => {
    for (const flag of ['locked', 'disabled'] as const) {
      const username = `${flag}@example.com`;
      await createUser(username);
      const b = await browser().signIn(username, PASSWORD);
      await query(t.database.url, `update users set ${flag} = true where username = $1`, [username]);
      expect((await b.get('/api/auth/me')).status).toBe(401);
      const r = await browser().login(username, PASSWORD);
      expect(r.status).toBe(403);
      expect(r.json<ErrorBody>().error).toMatchObject({
        code: 'forbidden',
        message: expect.stringContaining(flag),
      });
      expect(parseSetCookie(r.headers, SESSION_COOKIE)).toBeUndefined();
    }
  });

  it('rejects an expired session cookie', async () => {
    await createUser('expiring@example.com');
    const b = await browser().signIn('expiring@example.com', PASSWORD);
    expect((await b.get('/api/auth/me')).status).toBe(200);
    await query(
      t.database.url,
      "update auth_sessions set expires_at = now() - interval '1 second' where token_hash = $1",
      [sha256(b.cookie ?? '')],
    );
    expect((await b.get('/api/auth/me')).status).toBe(401);
  });

  it('limits failed sign-ins per account, from any address: 429 with Retry-After', async () => {
    await createUser('target@example.com');
    for (let i = 0; i < 10; i++)
      expect((await browser().login('target@example.com', 'guess')).status).toBe(401);
    const r = await browser().login('target@example.com', PASSWORD);
    expect(r.status).toBe(429);
    expect(r.json<ErrorBody>().error.code).toBe('rate_limited');
    const retryAfter = Number(r.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Another account is unaffected.
    await createUser('bystander@example.com');
    expect((await browser().login('bystander@example.com', PASSWORD)).status).toBe(200);
  });

  it('limits sign-in attempts per address', async () => {
    await createUser('shared-ip@example.com');
    const address = nextAddress();
    const b = browser(address);
    for (let i = 0; i < 50; i++) expect((await b.login(`spray-${i}@example.com`, 'guess')).status).toBe(401);
    const r = await browser(address).login('shared-ip@example.com', PASSWORD);
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect((await browser().login('shared-ip@example.com', PASSWORD)).status).toBe(200);
  });
});

describe('request bodies', () => {
  it('answers malformed JSON with 400 invalid', async () => {
    const r = await browser().post('/api/auth/login', '{"username": "a@b.c", "password":');
    expect(r.status).toBe(400);
    expect(r.json<ErrorBody>().error.code).toBe('invalid');
    expect(r.json<ErrorBody>().error.message).toEqual(expect.any(String));
  });

  it('answers a body missing a field with 400 naming the field', async () => {
    const r = await browser().post('/api/auth/login', { username: 'a@b.c' });
    expect(r.status).toBe(400);
    const { error } = r.json<ErrorBody>();
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(/^password: /);
    expect(error.details?.issues?.map((i) => i.field)).toEqual(['password']);
  });

  it('answers an unknown route with 404 in the same error shape', async () => {
    const r = await browser().get('/api/no-such-thing');
    expect(r.status).toBe(404);
    expect(r.json<ErrorBody>().error.code).toBe('not_found');
  });
});
