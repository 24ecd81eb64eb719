import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { healthResponseSchema, systemInfoSchema } from '@porthole/contracts';
import { systemContext, version } from '@porthole/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, parseSetCookie, SESSION_COOKIE } from '../../support/http.js';
import { createTestDatabase, query } from '../support/database.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestServer, type TestServer } from '../support/server.js';

const cli = systemContext('test');

interface ErrorBody {
  error: { code: string; message: string };
}

let t: TestServer;
let admin: ApiClient;
let plain: ApiClient;

beforeAll(async () => {
  t = await startTestServer();
  await t.server.services.users.create({ username: 'plain@example.com', password: 'plain-password' }, cli);
  admin = await new ApiClient(t.server.url).signIn(ADMIN_USERNAME, ADMIN_PASSWORD);
  plain = await new ApiClient(t.server.url).signIn('plain@example.com', 'plain-password');
});
afterAll(async () => {
  await t?.stop();
});

describe('health and system info', () => {
  it('reports ok with version, database and bus to anyone', async () => {
    const r = await new ApiClient(t.server.url).get('/api/health');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ status: 'ok', version, database: 'postgres', bus: 'memory' });
    expect(healthResponseSchema.parse(r.json())).toBeDefined();
  });

  it('gives administrators the installation id, version, uptime, database and bus', async () => {
    const r = await admin.get('/api/admin/system-info');
    expect(r.status).toBe(200);
    const info = systemInfoSchema.strict().parse(r.json());
    expect(info).toMatchObject({
      installationId: t.server.installationId,
      version,
      database: 'postgres',
      bus: 'memory',
    });
    expect(info.uptimeSeconds).toBeLessThan(600);
    expect(Date.parse(info.startedAt)).toBeLessThanOrEqual(Date.now());
    expect(await query(t.database.url, 'select id from installation')).toEqual([{ id: info.installationId }]);
  });
});

describe('the admin guard, over the whole route table', () => {
  const adminRoutes = () =>
    t.server.routes.filter((r) => r.url === '/api/admin' || r.url.startsWith('/api/admin/'));
  const concrete = (url: string) => url.replace(/:[^/]+/g, () => randomUUID()).replace(/\*/g, 'x');
  const call = (b: ApiClient, method: string, url: string) =>
    b.request(method, concrete(url), ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined);

  it('collects the admin routes', () => {
    const routes = adminRoutes();
    expect(routes).toContainEqual({ method: 'GET', url: '/api/admin/system-info' });
    // The audit log's reads and its retention setting sit behind the same guard.
    for (const route of [
      { method: 'GET', url: '/api/admin/audit' },
      { method: 'GET', url: '/api/admin/audit.csv' },
      { method: 'GET', url: '/api/admin/audit/settings' },
      { method: 'PATCH', url: '/api/admin/audit/settings' },
    ])
      expect(routes).toContainEqual(route);
    expect(routes.length).toBeGreaterThan(1);
  });

  it('answers every /api/admin route with 401 for anonymous callers', async () => {
    const anon = new ApiClient(t.server.url);
    const wrong: string[] = [];
    for (const r of adminRoutes()) {
      const reply = await call(anon, r.method, r.url);
      if (reply.status !== 401 || reply.json<ErrorBody>().error.code !== 'unauthorized')
        wrong.push(`${r.method} ${r.url} → ${reply.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('answers every /api/admin route with 403 for a signed-in non-admin', async () => {
    const wrong: string[] = [];
    for (const r of adminRoutes()) {
      const reply = await call(plain, r.method, r.url);
      if (reply.status !== 403 || reply.json<ErrorBody>().error.code !== 'forbidden')
        wrong.push(`${r.method} ${r.url} → ${reply.status}`);
    }
    expect(wrong).toEqual([]);
    // The plain user is still signed in: the 403s were about the role, not the session.
    expect((await plain.get('/api/auth/me')).status).toBe(200);
  });
});

describe('faults and transport', () => {
  it('answers health with 503 and a reason once the database is gone', async () => {
    const db = await createTestDatabase('fdn_gone');
    const s = await startTestServer({}, db);
    try {
      const anon = new ApiClient(s.server.url);
      expect((await anon.get('/api/health')).status).toBe(200);
      await db.drop(); // ends the server's connections and removes the database
      const started = Date.now();
      const r = await anon.get('/api/health');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(r.status).toBe(503);
      const body = healthResponseSchema.parse(r.json());
      expect(body).toMatchObject({ status: 'unavailable', version, database: 'postgres', bus: 'memory' });
      expect(body.reason).toMatch(/^database unreachable: /);
    } finally {
      await s.stop();
    }
  });

  it('marks the session cookie Secure over HTTPS', async () => {
    const s = await startTestServer({ tls: { mode: 'self-signed' } }, t.database);
    try {
      expect(s.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = await readFile(join(s.dataDir, 'tls-cert.pem'), 'utf8');
      const b = new ApiClient(s.server.url, { ca });
      const r = await b.login(ADMIN_USERNAME, ADMIN_PASSWORD);
      expect(r.status).toBe(200);
      const cookie = parseSetCookie(r.headers, SESSION_COOKIE);
      expect(cookie?.attributes.has('secure')).toBe(true);
      expect(cookie?.attributes.has('httponly')).toBe(true);
      expect((await b.get('/api/auth/me')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
