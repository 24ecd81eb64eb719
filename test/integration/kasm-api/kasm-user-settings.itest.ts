import { defaultSettings, type GroupView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../support/http.js';
import {
  adminClient,
  createKey,
  createTestDatabase,
  hex,
  KasmClient,
  startTestServer,
  type TestServer,
} from './support.js';

/**
 * get_attributes, update_user_attributes and the user-permission endpoints with Kasm's bodies:
 * what Porthole maps (global_admin ↔ Administrators, the user's effective group settings) answers,
 * and every name it has no place for is refused by name and leaves the user as it was.
 */
const UNKNOWN = 'e'.repeat(32);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;
let root: KasmClient;
let groups: GroupView[];
let userId: string;

const group = (role: 'administrators' | 'all_users') => {
  const g = groups.find((x) => x.systemRole === role);
  if (!g) throw new Error(`no ${role}`);
  return g;
};

beforeAll(async () => {
  db = await createTestDatabase('kasm_user_settings');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
  root = new KasmClient(t.server.url, await createKey(admin, ['global_admin']));
  groups = (await admin.get<{ items: GroupView[] }>('/api/admin/groups')).body.items;
  const r = await root.call('create_user', { target_user: { username: 'kasm-attrs@example.com' } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  userId = (r.body.user as { user_id: string }).user_id;
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

describe('user attributes', () => {
  it('get_attributes answers Kasm’s attribute object, by user_id or username', async () => {
    const r = await root.call('get_attributes', { target_user: { user_id: userId } });
    expect(r).toEqual({
      status: 200,
      body: {
        user_attributes: {
          user_attributes_id: userId,
          user_id: userId,
          default_image: null,
          show_tips: null,
          toggle_control_panel: null,
          auto_login_kasm: null,
          chat_sfx: null,
          theme: null,
          preferred_language: null,
          preferred_timezone: null,
          ssh_public_key: null,
          porthole_settings: defaultSettings,
        },
      },
    });
    const byName = await root.call('get_attributes', { target_user: { username: 'KASM-ATTRS@example.com' } });
    expect(byName.body).toEqual(r.body);
  });

  it('get_attributes shows the effective group settings, which change with the user’s groups', async () => {
    const all = group('all_users');
    await admin.patch(`/api/admin/groups/${all.id}`, { settings: { ...all.settings, allow_sharing: true } });
    const r = await root.call('get_attributes', { target_user: { user_id: userId } });
    expect((r.body.user_attributes as { porthole_settings: object }).porthole_settings).toMatchObject({
      allow_sharing: true,
    });
    await admin.patch(`/api/admin/groups/${all.id}`, { settings: all.settings });
  });

  it('update_user_attributes refuses each attribute by name, with where Porthole keeps it', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['default_image', UNKNOWN, /no such per-user attribute/],
      ['show_tips', false, /no such per-user attribute/],
      ['theme', 'Dark', /no such per-user attribute/],
      ['auto_login_kasm', true, /no such per-user attribute/],
      ['allow_sharing', true, /group setting/],
      ['favourite_colour', 'blue', /no such user attribute/],
    ];
    for (const [name, value, message] of cases) {
      const r = await root.call('update_user_attributes', {
        target_user_attributes: { user_id: userId, [name]: value },
      });
      expect(r.status, name).toBe(400);
      expect(Object.keys(r.body)).toEqual(['error_message']);
      expect(r.body.error_message, name).toMatch(new RegExp(`^target_user_attributes\\.${name}: `));
      expect(r.body.error_message, name).toMatch(message);
    }
    // Only the user's id: nothing to change, and nothing was stored by the refusals.
    const none = await root.call('update_user_attributes', { target_user_attributes: { user_id: userId } });
    expect(none).toEqual({ status: 200, body: {} });
  });

  it('answers a missing or unknown user in Kasm’s error shape', async () => {
    expect(await root.call('get_attributes', { target_user: { user_id: UNKNOWN } })).toEqual({
      status: 404,
      body: { error_message: `no user ${UNKNOWN}` },
    });
    const missing = await root.call('update_user_attributes', { target_user_attributes: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error_message).toMatch(/^target_user_attributes\.user_id: /);
    const unknown = await root.call('update_user_attributes', {
      target_user_attributes: { user_id: UNKNOWN },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('user permissions', () => {
  const perms = async () => {
    const r = await root.call('get_user_permissions', { target_user: { user_id: userId } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.permissions as Array<{ permission_name: string; group_name: string }>;
  };

  it('get_user_permissions: an ordinary user holds user, through All Users', async () => {
    expect(await perms()).toEqual([
      {
        permission_name: 'user',
        user_id: userId,
        group_id: hex(group('all_users').id),
        group_name: 'All Users',
      },
    ]);
  });

  it('add_user_permission global_admin makes the user an administrator (Administrators)', async () => {
    const body = { target_user: { user_id: userId }, target_permission: { permission_name: 'global_admin' } };
    expect(await root.call('add_user_permission', body)).toEqual({ status: 200, body: {} });
    expect(await root.call('add_user_permission', body)).toEqual({ status: 200, body: {} });
    expect(await perms()).toContainEqual(
      expect.objectContaining({ permission_name: 'global_admin', group_id: hex(group('administrators').id) }),
    );
    const user = await root.call('get_user', { target_user: { user_id: userId } });
    expect((user.body.user as { groups: Array<{ group_id: string }> }).groups).toContainEqual(
      expect.objectContaining({ group_id: hex(group('administrators').id) }),
    );
  });

  it('remove_user_permission global_admin takes it away again', async () => {
    const body = {
      target_user: { username: 'kasm-attrs@example.com' },
      target_permission: { permission_name: 'global_admin' },
    };
    expect(await root.call('remove_user_permission', body)).toEqual({ status: 200, body: {} });
    expect((await perms()).map((p) => p.permission_name)).toEqual(['user']);
    expect(await root.call('remove_user_permission', body)).toEqual({ status: 200, body: {} });
  });

  it('refuses to remove global_admin that another group grants, changing nothing', async () => {
    const ops = await admin.post<GroupView>('/api/admin/groups', {
      name: 'Ops admins',
      settings: { administrator: true },
      memberIds: [userId.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')],
    });
    expect(ops.status, JSON.stringify(ops.body)).toBe(201);
    const body = { target_user: { user_id: userId }, target_permission: { permission_name: 'global_admin' } };
    const r = await root.call('remove_user_permission', body);
    expect(r.status).toBe(409);
    expect(r.body.error_message).toMatch(/Ops admins/);
    expect((await perms()).map((p) => p.group_name)).toEqual(['All Users', 'Ops admins']);
    await admin.delete(`/api/admin/groups/${ops.body.id}`);
  });

  it('user cannot be removed; names Porthole has no per-user equivalent for are refused', async () => {
    const user = { target_user: { user_id: userId } };
    const removeUser = await root.call('remove_user_permission', {
      ...user,
      target_permission: { permission_name: 'user' },
    });
    expect(removeUser.status).toBe(409);
    expect(
      await root.call('add_user_permission', { ...user, target_permission: { permission_name: 'user' } }),
    ).toEqual({
      status: 200,
      body: {},
    });
    for (const name of ['users_view', 'allow_kasm_sharing', 'sessions_modify']) {
      const r = await root.call('add_user_permission', {
        ...user,
        target_permission: { permission_name: name },
      });
      expect(r.status, name).toBe(400);
      expect(r.body.error_message).toMatch(
        new RegExp(`^target_permission\\.permission_name: Porthole has no per-user permission ${name}`),
      );
    }
    expect((await perms()).map((p) => p.permission_name)).toEqual(['user']);
  });

  it('answers an unknown user with 404 and a missing permission with 400', async () => {
    const unknown = await root.call('get_user_permissions', { target_user: { user_id: UNKNOWN } });
    expect(unknown).toEqual({ status: 404, body: { error_message: `no user ${UNKNOWN}` } });
    const add = await root.call('add_user_permission', {
      target_user: { username: 'nobody@example.com' },
      target_permission: { permission_name: 'global_admin' },
    });
    expect(add).toEqual({ status: 404, body: { error_message: 'no user nobody@example.com' } });
    const missing = await root.call('remove_user_permission', { target_user: { user_id: userId } });
    expect(missing.status).toBe(400);
    expect(missing.body.error_message).toMatch(/^target_permission: /);
  });

  it('reads need users_view; changes need groups_modify', async () => {
    const viewer = new KasmClient(t.server.url, await createKey(admin, ['users_view']));
    expect((await viewer.call('get_user_permissions', { target_user: { user_id: userId } })).status).toBe(
      200,
    );
    const body = { target_user: { user_id: userId }, target_permission: { permission_name: 'global_admin' } };
    expect((await viewer.call('add_user_permission', body)).status).toBe(403);
    const modifier = new KasmClient(t.server.url, await createKey(admin, ['users_modify']));
    expect((await modifier.call('add_user_permission', body)).status).toBe(403);
    expect(
      (await modifier.call('update_user_attributes', { target_user_attributes: { user_id: userId } })).status,
    ).toBe(200);
  });
});
