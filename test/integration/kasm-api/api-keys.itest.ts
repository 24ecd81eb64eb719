import { createHash } from 'node:crypto';
import type { AdminUserView, ApiKeyCreated, ApiKeyView } from '@porthole/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ErrorBody } from '../../support/http.js';
import {
  adminClient,
  bearer,
  createKey,
  createTestDatabase,
  startTestServer,
  type TestServer,
} from './support.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;

beforeAll(async () => {
  db = await createTestDatabase('kasm_keys');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

/** A call with only `headers` for credentials (a bearer key, say), no sign-in cookie. */
function native(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  return new ApiClient(t.server.url, { headers }).request(method, path, body);
}

describe('API keys in the admin area', () => {
  it('creates a key whose secret is shown once and stored only as a SHA-256', async () => {
    const key = await createKey(admin, ['users_view', 'sessions_view', 'users_view'], {
      name: 'reporting',
      expiresAt: '2099-01-01T00:00:00Z',
    });
    expect(key).toMatchObject({
      name: 'reporting',
      permissions: ['users_view', 'sessions_view'],
      readOnly: false,
      expiresAt: '2099-01-01T00:00:00.000Z',
      expired: false,
      lastUsedAt: null,
    });
    expect(key.api_key).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(key.api_key_secret.length).toBeGreaterThanOrEqual(40);

    const list = await admin.get<{ items: ApiKeyView[] }>('/api/admin/api-keys');
    expect(list.status).toBe(200);
    expect(list.body.items.map((k) => k.id)).toContain(key.id);
    expect(JSON.stringify(list.body)).not.toContain(key.api_key_secret);
    const one = await admin.get<ApiKeyView>(`/api/admin/api-keys/${key.id}`);
    expect(one.body).not.toHaveProperty('api_key_secret');
    expect(one.body.api_key).toBe(key.api_key);

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const row = await c.query('select secret_hash from api_keys where id = $1', [key.id]);
      const stored = row.rows[0].secret_hash as Buffer;
      expect(stored.equals(createHash('sha256').update(key.api_key_secret).digest())).toBe(true);
      const all = await c.query('select row_to_json(k)::text as j from api_keys k');
      expect(all.rows.map((r) => r.j).join()).not.toContain(key.api_key_secret);
    } finally {
      await c.end();
    }
  });

  it('changes name, permissions, read-only flag and expiry, and deletes', async () => {
    const key = await createKey(admin, ['users_view']);
    const r = await admin.patch<ApiKeyView>(`/api/admin/api-keys/${key.id}`, {
      name: 'renamed',
      permissions: ['global_admin'],
      readOnly: true,
      expiresAt: null,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'renamed',
      permissions: ['global_admin'],
      readOnly: true,
      expiresAt: null,
    });
    expect((await admin.delete(`/api/admin/api-keys/${key.id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/api-keys/${key.id}`)).status).toBe(404);
    expect((await admin.delete(`/api/admin/api-keys/${key.id}`)).status).toBe(404);
    // A deleted key no longer authenticates.
    expect((await native('GET', '/api/admin/users', bearer(key))).status).toBe(401);
  });

  it('answers bad input with a 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ permissions: [] }, 'name'],
      [{ name: 'x', permissions: ['root'] }, 'permissions.0'],
      [{ name: 'x' }, 'permissions'],
      [{ name: 'x', permissions: [], expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', permissions: [], expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ name: 'x', permissions: [], owner: 'me' }, 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await admin.post<ErrorBody>('/api/admin/api-keys', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message.startsWith(`${field}:`), r.body.error.message).toBe(true);
    }
    expect((await admin.get('/api/admin/api-keys/not-a-uuid')).status).toBe(400);
  });

  it('is for signed-in administrators: not users, not anonymous, not API keys', async () => {
    const anon = new ApiClient(t.server.url);
    expect((await anon.get('/api/admin/api-keys')).status).toBe(401);
    await admin.post('/api/admin/users', { username: 'plain-keys@example.com', password: 'password-123' });
    const plain = new ApiClient(t.server.url);
    await plain.signIn('plain-keys@example.com', 'password-123');
    expect((await plain.get('/api/admin/api-keys')).status).toBe(403);
    const root = await createKey(admin, ['global_admin']);
    const r = await native('POST', '/api/admin/api-keys', bearer(root), { name: 'x', permissions: [] });
    expect(r.status).toBe(403);
    expect((await native('GET', '/api/admin/api-keys', bearer(root))).status).toBe(403);
  });
});

describe('API keys on the native API (Authorization: Bearer key:secret)', () => {
  let root: ApiKeyCreated;
  beforeAll(async () => {
    root = await createKey(admin, ['global_admin']);
  });

  it('lets a global_admin key use /api/admin/*, and records when it was used', async () => {
    const users = await native('GET', '/api/admin/users', bearer(root));
    expect(users.status).toBe(200);
    const created = await native('POST', '/api/admin/users', bearer(root), {
      username: 'by-key@example.com',
      password: 'password-123',
    });
    expect(created.status).toBe(201);
    const id = (created.body as unknown as AdminUserView).id;
    expect((await native('DELETE', `/api/admin/users/${id}`, bearer(root))).status).toBe(204);
    const view = await admin.get<ApiKeyView>(`/api/admin/api-keys/${root.id}`);
    expect(view.body.lastUsedAt).not.toBeNull();
  });

  it('refuses /api/admin/* to a key without global_admin with 403', async () => {
    const viewer = await createKey(admin, ['users_view', 'sessions_view', 'sessions_modify', 'images_view']);
    for (const path of [
      '/api/admin/users',
      '/api/admin/sessions',
      '/api/admin/images',
      '/api/admin/system-info',
    ]) {
      const r = await native('GET', path, bearer(viewer));
      expect(r.status, path).toBe(403);
      expect((r.body as unknown as ErrorBody).error.code).toBe('forbidden');
    }
  });

  it('lets a read-only global_admin key read but not write', async () => {
    const ro = await createKey(admin, ['global_admin'], { readOnly: true });
    expect((await native('GET', '/api/admin/users', bearer(ro))).status).toBe(200);
    const w = await native('POST', '/api/admin/zones', bearer(ro), { name: 'ro-zone' });
    expect(w.status).toBe(403);
    expect((w.body as unknown as ErrorBody).error.message).toMatch(/read-only/);
  });

  it('refuses per-user routes to keys: a key acts for no user', async () => {
    for (const [method, path] of [
      ['GET', '/api/auth/me'],
      ['GET', '/api/sessions'],
      ['GET', '/api/workspaces'],
    ] as const) {
      expect((await native(method, path, bearer(root))).status, path).toBe(403);
    }
  });

  it('answers a wrong, malformed or expired bearer with 401, even alongside a valid cookie', async () => {
    const wrong = { api_key: root.api_key, api_key_secret: 'not-the-secret' };
    expect((await native('GET', '/api/admin/users', bearer(wrong))).status).toBe(401);
    expect((await native('GET', '/api/admin/users', { authorization: 'Bearer nocolon' })).status).toBe(401);
    expect((await native('GET', '/api/admin/users', { authorization: 'Bearer ' })).status).toBe(401);
    const withCookie = await native('GET', '/api/admin/users', {
      ...bearer(wrong),
      cookie: admin.cookieHeader ?? '',
    });
    expect(withCookie.status).toBe(401);

    const soon = await createKey(admin, ['global_admin'], {
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });
    expect((await native('GET', '/api/admin/users', bearer(soon))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const expired = await native('GET', '/api/admin/users', bearer(soon));
    expect(expired.status).toBe(401);
    expect((expired.body as unknown as ErrorBody).error.message).toMatch(/expired/);
    expect((await admin.get<ApiKeyView>(`/api/admin/api-keys/${soon.id}`)).body.expired).toBe(true);
  });
});
