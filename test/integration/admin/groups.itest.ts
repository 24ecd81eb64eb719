import type { AdminUserView, GroupView, ImageView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ErrorBody } from '../../support/http.js';
import { adminClient, createTestDatabase, startTestServer, type TestServer } from './support.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;
let system: { admins: GroupView; all: GroupView };
let images: ImageView[];

beforeAll(async () => {
  db = await createTestDatabase('admin_groups');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
  const groups = (await admin.get<{ items: GroupView[] }>('/api/admin/groups')).body.items;
  const find = (role: string) => {
    const g = groups.find((x) => x.systemRole === role);
    if (!g) throw new Error(`no ${role}`);
    return g;
  };
  system = { admins: find('administrators'), all: find('all_users') };
  images = (await admin.get<{ items: ImageView[] }>('/api/admin/images')).body.items;
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

async function user(username: string): Promise<AdminUserView> {
  const r = await admin.post<AdminUserView>('/api/admin/users', { username, password: 'password-123' });
  expect(r.status).toBe(201);
  return r.body;
}

describe('admin groups API', () => {
  it('lists the settings catalogue', async () => {
    const r = await admin.get<{ items: Array<Record<string, unknown>> }>('/api/admin/group-settings');
    expect(r.status).toBe(200);
    const max = r.body.items.find((s) => s.name === 'max_sessions_per_user');
    expect(max).toMatchObject({ type: 'integer', default: 2, min: 0, max: 1000 });
    expect(r.body.items.find((s) => s.name === 'keepalive_expiration_action')).toMatchObject({
      type: 'enum',
      values: ['delete', 'stop', 'pause'],
    });
    expect(r.body.items.find((s) => s.name === 'keepalive_expiration')).toMatchObject({ unit: 'seconds' });
  });

  it('creates, reads, edits and deletes a group with members, images and settings', async () => {
    const u = await user('member@example.com');
    const created = await admin.post<GroupView>('/api/admin/groups', {
      name: 'Engineers',
      description: 'Builders',
      priority: 10,
      settings: { max_sessions_per_user: 5, allow_sharing: true },
      memberIds: [u.id],
      imageIds: [images[0]?.id],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Engineers',
      description: 'Builders',
      priority: 10,
      systemRole: null,
      settings: { max_sessions_per_user: 5, allow_sharing: true },
      memberIds: [u.id],
      imageIds: [images[0]?.id],
    });
    const id = created.body.id;
    expect((await admin.get<GroupView>(`/api/admin/groups/${id}`)).body).toEqual(created.body);
    const list = (await admin.get<{ items: GroupView[] }>('/api/admin/groups')).body.items;
    expect(list.map((g) => g.name)).toEqual(
      expect.arrayContaining(['Administrators', 'All Users', 'Engineers']),
    );
    expect((await admin.get<AdminUserView>(`/api/admin/users/${u.id}`)).body.groupIds).toContain(id);

    const edited = await admin.patch<GroupView>(`/api/admin/groups/${id}`, {
      name: 'Engineering',
      settings: { idle_disconnect: 30 },
      memberIds: [],
      imageIds: images.map((i) => i.id),
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      name: 'Engineering',
      settings: { idle_disconnect: 30 },
      memberIds: [],
    });
    expect(new Set(edited.body.imageIds)).toEqual(new Set(images.map((i) => i.id)));

    expect((await admin.delete(`/api/admin/groups/${id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/groups/${id}`)).status).toBe(404);
    expect((await admin.delete(`/api/admin/groups/${id}`)).status).toBe(404);
  });

  it('rejects unknown settings, bad values and unknown references with 400 naming them', async () => {
    const unknown = await admin.post<ErrorBody>('/api/admin/groups', {
      name: 'X',
      settings: { teleport: true },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('teleport');
    const range = await admin.post<ErrorBody>('/api/admin/groups', {
      name: 'X',
      settings: { max_sessions_per_user: -1 },
    });
    expect(range.status).toBe(400);
    expect(range.body.error.message).toMatch(/^settings\.max_sessions_per_user: /);
    const ghost = '00000000-0000-4000-8000-000000000000';
    const member = await admin.post<ErrorBody>('/api/admin/groups', { name: 'X', memberIds: [ghost] });
    expect(member.status).toBe(400);
    expect(member.body.error.message).toMatch(/^memberIds: /);
    const image = await admin.post<ErrorBody>('/api/admin/groups', { name: 'X', imageIds: [ghost] });
    expect(image.body.error.message).toMatch(/^imageIds: /);
    expect((await admin.post<ErrorBody>('/api/admin/groups', { name: '' })).body.error.message).toMatch(
      /^name: /,
    );
    expect((await admin.patch(`/api/admin/groups/${ghost}`, { name: 'Y' })).status).toBe(404);
    expect((await admin.get('/api/admin/groups/123')).status).toBe(400);
    const names = (await admin.get<{ items: GroupView[] }>('/api/admin/groups')).body.items.map(
      (g) => g.name,
    );
    expect(names).not.toContain('X');
  });

  it('accepts a repeated id in a list once', async () => {
    const u = await user('twice@example.com');
    const r = await admin.post<GroupView>('/api/admin/groups', {
      name: 'Twice',
      memberIds: [u.id, u.id],
      imageIds: [images[0]?.id, images[0]?.id],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ memberIds: [u.id], imageIds: [images[0]?.id] });
  });

  it('refuses clashing names', async () => {
    expect((await admin.post('/api/admin/groups', { name: 'Support' })).status).toBe(201);
    expect((await admin.post('/api/admin/groups', { name: 'support' })).status).toBe(409);
    const other = await admin.post<GroupView>('/api/admin/groups', { name: 'Sales' });
    expect((await admin.patch(`/api/admin/groups/${other.body.id}`, { name: 'SUPPORT' })).status).toBe(409);
    expect((await admin.patch(`/api/admin/groups/${other.body.id}`, { name: 'administrators' })).status).toBe(
      409,
    );
  });

  it('protects the system groups', async () => {
    expect((await admin.delete(`/api/admin/groups/${system.admins.id}`)).status).toBe(409);
    expect((await admin.delete(`/api/admin/groups/${system.all.id}`)).status).toBe(409);
    const u = await user('everyone@example.com');
    const all = (await admin.get<GroupView>(`/api/admin/groups/${system.all.id}`)).body;
    expect(all.memberIds).toContain(u.id);
    expect((await admin.patch(`/api/admin/groups/${system.all.id}`, { memberIds: [u.id] })).status).toBe(409);
    // Sending the membership unchanged (a form saving the whole group) is fine.
    const same = await admin.patch<GroupView>(`/api/admin/groups/${system.all.id}`, {
      memberIds: all.memberIds,
      settings: { max_sessions_per_user: 3 },
    });
    expect(same.status).toBe(200);
    expect(same.body.settings).toEqual({ max_sessions_per_user: 3 });

    expect((await admin.patch(`/api/admin/groups/${system.admins.id}`, { memberIds: [] })).status).toBe(409);
    expect((await admin.patch(`/api/admin/groups/${system.admins.id}`, { settings: {} })).status).toBe(409);
    const renamed = await admin.patch<GroupView>(`/api/admin/groups/${system.admins.id}`, {
      description: 'The keepers',
      memberIds: [...system.admins.memberIds, u.id],
    });
    expect(renamed.status).toBe(200);
    expect((await admin.get<AdminUserView>(`/api/admin/users/${u.id}`)).body.isAdmin).toBe(true);
  });

  it('resolves conflicting settings by priority for the session service', async () => {
    const u = await user('conflict@example.com');
    const low = await admin.post<GroupView>('/api/admin/groups', {
      name: 'Low number wins',
      priority: 5,
      settings: { max_sessions_per_user: 7 },
      memberIds: [u.id],
    });
    await admin.post('/api/admin/groups', {
      name: 'High number loses',
      priority: 50,
      settings: { max_sessions_per_user: 1, allow_sharing: true },
      memberIds: [u.id],
      imageIds: [images[1]?.id],
    });
    const eff = await t.server.services.settings.forUser(u.id);
    expect(eff.max_sessions_per_user).toBe(7);
    expect(eff.allow_sharing).toBe(true);
    // All Users (priority 1000) set 3 above; both groups outrank it.
    await admin.patch(`/api/admin/groups/${low.body.id}`, { priority: 2000 });
    expect((await t.server.services.settings.forUser(u.id)).max_sessions_per_user).toBe(1);

    const allowed = await t.server.services.settings.allowedImageIds(u.id);
    const allUsersImages = (await admin.get<GroupView>(`/api/admin/groups/${system.all.id}`)).body.imageIds;
    expect(allowed).toEqual(new Set([...allUsersImages, images[1]?.id]));
  });
});
