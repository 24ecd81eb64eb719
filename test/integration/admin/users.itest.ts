import type { AdminUserView, GroupView } from '@porthole/contracts';
import { argon2Hasher, systemContext, UserAdminService, UserRepo } from '@porthole/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ErrorBody } from '../../support/http.js';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  adminClient,
  createTestDatabase,
  startTestServer,
  type TestServer,
} from './support.js';

const CLI = systemContext('test');

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;
let groups: GroupView[];
const groupId = (role: 'administrators' | 'all_users') => {
  const g = groups.find((x) => x.systemRole === role);
  if (!g) throw new Error(`no ${role} group`);
  return g.id;
};

beforeAll(async () => {
  db = await createTestDatabase('admin_users');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
  groups = (await admin.get<{ items: GroupView[] }>('/api/admin/groups')).body.items;
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

async function createUser(username: string, extra: Record<string, unknown> = {}): Promise<AdminUserView> {
  const r = await admin.post<AdminUserView>('/api/admin/users', {
    username,
    password: 'password-123',
    ...extra,
  });
  expect(r.status).toBe(201);
  return r.body;
}

async function signIn(username: string, password = 'password-123'): Promise<ApiClient> {
  return new ApiClient(t.server.url).signIn(username, password);
}

describe('admin users API', () => {
  it('is for administrators only', async () => {
    const anon = new ApiClient(t.server.url);
    expect((await anon.get('/api/admin/users')).status).toBe(401);
    await createUser('plain@example.com');
    const plain = await signIn('plain@example.com');
    expect((await plain.get('/api/admin/users')).status).toBe(403);
  });

  it('creates a user in All Users plus the requested groups and lists them', async () => {
    const u = await createUser('alice@example.com', {
      displayName: 'Alice',
      groupIds: [groupId('administrators')],
    });
    expect(u).toMatchObject({
      username: 'alice@example.com',
      displayName: 'Alice',
      isAdmin: true,
      sessionCount: 0,
    });
    expect(new Set(u.groupIds)).toEqual(new Set([groupId('administrators'), groupId('all_users')]));
    const list = await admin.get<{ items: AdminUserView[] }>('/api/admin/users');
    expect(list.status).toBe(200);
    expect(list.body.items.map((x) => x.username)).toEqual(
      expect.arrayContaining([ADMIN_USERNAME, 'alice@example.com']),
    );
    const one = await admin.get<AdminUserView>(`/api/admin/users/${u.id}`);
    expect(one.body).toEqual(u);
  });

  it('names the bad field, rejects unknown groups, clashing names and unknown ids', async () => {
    const short = await admin.post<ErrorBody>('/api/admin/users', { username: 'x@y', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toMatch(/^password: /);
    const extra = await admin.post<ErrorBody>('/api/admin/users', {
      username: 'x@y',
      password: 'password-123',
      isAdmin: true,
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('isAdmin');
    const ghost = '00000000-0000-4000-8000-000000000000';
    const badGroup = await admin.post<ErrorBody>('/api/admin/users', {
      username: 'x@y',
      password: 'password-123',
      groupIds: [ghost],
    });
    expect(badGroup.status).toBe(400);
    expect(badGroup.body.error.message).toMatch(/^groupIds: /);
    expect((await admin.get('/api/admin/users?x=1')).status).toBe(200);
    expect((await admin.get('/api/admin/users/not-a-uuid')).status).toBe(400);
    expect((await admin.get(`/api/admin/users/${ghost}`)).status).toBe(404);
    expect((await admin.patch(`/api/admin/users/${ghost}`, { displayName: 'n' })).status).toBe(404);
    expect((await admin.delete(`/api/admin/users/${ghost}`)).status).toBe(404);
    await createUser('Clash@example.com');
    const clash = await admin.post<ErrorBody>('/api/admin/users', {
      username: 'clash@example.com',
      password: 'password-123',
    });
    expect(clash.status).toBe(409);
    const u = await createUser('rename@example.com');
    expect((await admin.patch(`/api/admin/users/${u.id}`, { username: 'CLASH@example.com' })).status).toBe(
      409,
    );
    // Nothing half-written by the refused create.
    const all = (await admin.get<{ items: AdminUserView[] }>('/api/admin/users')).body.items;
    expect(all.filter((x) => x.username.toLowerCase() === 'x@y')).toHaveLength(0);
  });

  it('edits names and memberships but never drops All Users', async () => {
    const u = await createUser('bob@example.com');
    const r = await admin.patch<AdminUserView>(`/api/admin/users/${u.id}`, {
      displayName: 'Bob B',
      groupIds: [groupId('administrators')],
    });
    expect(r.status).toBe(200);
    expect(r.body.displayName).toBe('Bob B');
    expect(r.body.isAdmin).toBe(true);
    const back = await admin.patch<AdminUserView>(`/api/admin/users/${u.id}`, { groupIds: [] });
    expect(back.body.groupIds).toEqual([groupId('all_users')]);
    expect(back.body.isAdmin).toBe(false);
  });

  it('locks, disables and resets passwords, signing the user out each time', async () => {
    const u = await createUser('carol@example.com');
    let carol = await signIn('carol@example.com');
    expect((await carol.get('/api/auth/me')).status).toBe(200);

    expect((await admin.patch(`/api/admin/users/${u.id}`, { locked: true })).body).toMatchObject({
      locked: true,
    });
    expect((await carol.get('/api/auth/me')).status).toBe(401);
    const lockedLogin = await new ApiClient(t.server.url).post('/api/auth/login', {
      username: 'carol@example.com',
      password: 'password-123',
    });
    expect(lockedLogin.status).toBe(403);
    await admin.patch(`/api/admin/users/${u.id}`, { locked: false });

    carol = await signIn('carol@example.com');
    await admin.patch(`/api/admin/users/${u.id}`, { disabled: true });
    // Unlocking again must not bring the old cookie back: it was revoked, not merely refused.
    await admin.patch(`/api/admin/users/${u.id}`, { disabled: false });
    expect((await carol.get('/api/auth/me')).status).toBe(401);

    carol = await signIn('carol@example.com');
    await admin.patch(`/api/admin/users/${u.id}`, { password: 'a-new-password' });
    expect((await carol.get('/api/auth/me')).status).toBe(401);
    await signIn('carol@example.com', 'a-new-password');
  });

  it('refuses to let an admin delete, lock or disable themselves, or empty Administrators', async () => {
    const me = (await admin.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    for (const body of [{ locked: true }, { disabled: true }]) {
      expect((await admin.patch<ErrorBody>(`/api/admin/users/${me}`, body)).status).toBe(409);
    }
    expect((await admin.delete(`/api/admin/users/${me}`)).status).toBe(409);

    // Alone in Administrators: another admin cannot take the last one out.
    const admins = (await admin.get<GroupView>(`/api/admin/groups/${groupId('administrators')}`)).body;
    for (const other of admins.memberIds.filter((m) => m !== me)) {
      await admin.patch(`/api/admin/users/${other}`, { groupIds: [] });
    }
    const removeSelf = await admin.patch<ErrorBody>(`/api/admin/users/${me}`, { groupIds: [] });
    expect(removeSelf.status).toBe(409);
    expect(removeSelf.body.error.message).toMatch(/last administrator/);
    // Changing one's own password keeps this browser signed in.
    expect((await admin.patch(`/api/admin/users/${me}`, { password: 'another-admin-pw' })).status).toBe(200);
    expect((await admin.get('/api/auth/me')).status).toBe(200);
    await admin.patch(`/api/admin/users/${me}`, { password: ADMIN_PASSWORD });
  });

  it('deletes a user with their sessions and revokes their cookie', async () => {
    const u = await createUser('dave@example.com');
    const dave = await signIn('dave@example.com');
    const { db: kdb } = t.server.database;
    const image = await kdb
      .selectFrom('images')
      .select('id')
      .where('name', '=', 'desktop')
      .executeTakeFirstOrThrow();
    const sessionId = crypto.randomUUID();
    await kdb
      .insertInto('sessions')
      .values({
        id: sessionId,
        user_id: u.id,
        image_id: image.id,
        state: 'running',
        cores: 2,
        memory_mb: 2048,
      })
      .execute();
    expect((await admin.get<AdminUserView>(`/api/admin/users/${u.id}`)).body.sessionCount).toBe(1);

    expect((await admin.delete(`/api/admin/users/${u.id}`)).status).toBe(204);
    expect((await dave.get('/api/auth/me')).status).toBe(401);
    expect((await admin.get(`/api/admin/users/${u.id}`)).status).toBe(404);
    const s = await kdb
      .selectFrom('sessions')
      .select(['state', 'state_reason', 'user_id'])
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    // The session service's hook tore it down (no agent to ask) and closed the row.
    expect(s).toMatchObject({ state: 'deleted', state_reason: 'user deleted', user_id: null });
    const events = await kdb
      .selectFrom('session_events')
      .select('state')
      .where('session_id', '=', sessionId)
      .execute();
    expect(events.map((e) => e.state)).toContain('deleting');
  });

  it('without a teardown hook, marks the sessions deleting and removes the user', async () => {
    const svc = new UserAdminService(new UserRepo(t.server.database.db), argon2Hasher);
    const id = await svc.create({ username: 'erin@example.com', password: 'password-123' }, CLI);
    const { db: kdb } = t.server.database;
    const image = await kdb
      .selectFrom('images')
      .select('id')
      .where('name', '=', 'firefox')
      .executeTakeFirstOrThrow();
    const sessionId = crypto.randomUUID();
    await kdb
      .insertInto('sessions')
      .values({ id: sessionId, user_id: id, image_id: image.id, state: 'paused', cores: 2, memory_mb: 2048 })
      .execute();
    await svc.delete({ userId: 'someone-else' }, id, CLI);
    const s = await kdb
      .selectFrom('sessions')
      .select(['state', 'state_reason'])
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(s).toEqual({ state: 'deleting', state_reason: 'user deleted' });
    expect(
      await kdb.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst(),
    ).toBeUndefined();
  });

  it('keeps the CLI entry points working: create with admin, reset password by username', async () => {
    const svc = new UserAdminService(new UserRepo(t.server.database.db), argon2Hasher);
    const id = await svc.create({ username: 'cli@example.com', password: 'password-123', admin: true }, CLI);
    expect((await admin.get<AdminUserView>(`/api/admin/users/${id}`)).body.isAdmin).toBe(true);
    const cli = await signIn('cli@example.com');
    await svc.resetPassword('cli@example.com', 'password-456', CLI);
    expect((await cli.get('/api/auth/me')).status).toBe(401);
    await signIn('cli@example.com', 'password-456');
    await expect(svc.create({ username: 'CLI@example.com', password: 'password-123' }, CLI)).rejects.toThrow(
      /exists/,
    );
  });
});
