import type { GroupView, ImageView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../support/http.js';
import {
  ADMIN_USERNAME,
  adminClient,
  createKey,
  createTestDatabase,
  hex,
  KasmClient,
  startTestServer,
  type TestServer,
} from './support.js';

/** Users, groups, images and the no-agent answers of the developer API, each with its own permission. */
const KASM_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const HEX_ID = /^[0-9a-f]{32}$/;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;
let groups: GroupView[];
let images: ImageView[];
let kasm: KasmClient;
const keyed = async (...permissions: Parameters<typeof createKey>[1]) =>
  new KasmClient(t.server.url, await createKey(admin, permissions));

beforeAll(async () => {
  db = await createTestDatabase('kasm_users');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
  groups = (await admin.get<{ items: GroupView[] }>('/api/admin/groups')).body.items;
  images = (await admin.get<{ items: ImageView[] }>('/api/admin/images')).body.items;
  kasm = new KasmClient(t.server.url, await createKey(admin, ['global_admin']));
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

const group = (role: 'administrators' | 'all_users') => {
  const g = groups.find((x) => x.systemRole === role);
  if (!g) throw new Error(`no ${role}`);
  return g;
};

describe('developer API: users', () => {
  it('create_user (users_create) makes a user in All Users, ids as 32 hex and Kasm dates', async () => {
    const api = await keyed('users_create');
    const r = await api.call('create_user', {
      target_user: {
        username: 'kasm-bob@example.com',
        first_name: 'Bob',
        last_name: 'Williams',
        password: 'Password-123!',
        organization: 'ignored',
        phone: '123',
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const user = r.body.user as Record<string, unknown>;
    expect(user).toMatchObject({
      username: 'kasm-bob@example.com',
      first_name: 'Bob',
      last_name: 'Williams',
      locked: false,
      disabled: false,
      realm: 'local',
      last_session: null,
      groups: [{ group_id: hex(group('all_users').id), name: 'All Users' }],
    });
    expect(user.user_id).toMatch(HEX_ID);
    expect(user.created).toMatch(KASM_DATE);
    // The password set is the one that signs in.
    const bob = new ApiClient(t.server.url);
    await bob.signIn('kasm-bob@example.com', 'Password-123!');
    // Without a password the user gets a random one (they sign in through kasm_url links).
    const nopw = await api.call(
      'create_user',
      { target_user: { username: 'kasm-nopw@example.com' } },
      'basic',
    );
    expect(nopw.status).toBe(200);
    const dup = await api.call('create_user', { target_user: { username: 'kasm-bob@example.com' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error_message).toMatch(/already exists/);
  });

  it('get_users and get_user (users_view) by user_id, UUID or username', async () => {
    const api = await keyed('users_view');
    const all = await api.call('get_users');
    expect(all.status).toBe(200);
    const users = all.body.users as Array<Record<string, unknown>>;
    const me = users.find((u) => u.username === ADMIN_USERNAME);
    expect(me).toBeDefined();
    const adminGroups = ((me?.groups ?? []) as Array<{ name: string }>).map((g) => g.name).sort();
    expect(adminGroups).toEqual(['Administrators', 'All Users']);
    const id = String(me?.user_id);
    const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
    for (const target of [{ user_id: id }, { user_id: uuid }, { username: ADMIN_USERNAME.toUpperCase() }]) {
      const one = await api.call('get_user', { target_user: target });
      expect(one.status, JSON.stringify(target)).toBe(200);
      expect((one.body.user as Record<string, unknown>).user_id).toBe(id);
    }
    const missing = await api.call('get_user', { target_user: { username: 'nobody@example.com' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error_message: 'no user nobody@example.com' });
  });

  it('update_user (users_modify) changes names, flags and password', async () => {
    const created = await kasm.call('create_user', { target_user: { username: 'kasm-upd@example.com' } });
    const id = String((created.body.user as Record<string, unknown>).user_id);
    const api = await keyed('users_modify');
    const r = await api.call('update_user', {
      target_user: {
        user_id: id,
        first_name: 'Ann',
        last_name: 'Lee',
        locked: true,
        password: 'New-password-1',
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ first_name: 'Ann', last_name: 'Lee', locked: true });
    const last = await api.call('update_user', {
      target_user: { user_id: id, last_name: 'Smith', locked: false },
    });
    expect(last.body.user).toMatchObject({ first_name: 'Ann', last_name: 'Smith', locked: false });
    const signIn = new ApiClient(t.server.url);
    await signIn.signIn('kasm-upd@example.com', 'New-password-1');
    const gone = await api.call('update_user', { target_user: { user_id: '0'.repeat(32), first_name: 'x' } });
    expect(gone.status).toBe(404);
  });

  it('logout_user (users_auth_session) ends every browser session of the user', async () => {
    await kasm.call('create_user', {
      target_user: { username: 'kasm-out@example.com', password: 'password-123' },
    });
    const browser = new ApiClient(t.server.url);
    await browser.signIn('kasm-out@example.com', 'password-123');
    expect((await browser.get('/api/auth/me')).status).toBe(200);
    const api = await keyed('users_auth_session');
    const r = await api.call('logout_user', { target_user: { username: 'kasm-out@example.com' } });
    expect(r).toEqual({ status: 200, body: {} });
    expect((await browser.get('/api/auth/me')).status).toBe(401);
  });

  it('add_user_group and remove_user_group (groups_modify)', async () => {
    const created = await kasm.call('create_user', { target_user: { username: 'kasm-grp@example.com' } });
    const id = String((created.body.user as Record<string, unknown>).user_id);
    const g = await admin.post<GroupView>('/api/admin/groups', { name: 'Kasm testers' });
    const api = await keyed('groups_modify');
    const target = { target_user: { user_id: id }, target_group: { group_id: hex(g.body.id) } };
    expect(await api.call('add_user_group', target)).toEqual({ status: 200, body: {} });
    expect(await api.call('add_user_group', target)).toEqual({ status: 200, body: {} });
    const after = await kasm.call('get_user', { target_user: { user_id: id } });
    const names = ((after.body.user as Record<string, unknown>).groups as Array<{ name: string }>).map(
      (x) => x.name,
    );
    expect(names.sort()).toEqual(['All Users', 'Kasm testers']);
    expect(await api.call('remove_user_group', target)).toEqual({ status: 200, body: {} });
    const again = await kasm.call('get_user', { target_user: { user_id: id } });
    expect(((again.body.user as Record<string, unknown>).groups as unknown[]).length).toBe(1);
    const allUsers = await api.call('remove_user_group', {
      target_user: { user_id: id },
      target_group: { group_id: hex(group('all_users').id) },
    });
    expect(allUsers.status).toBe(409);
    const noGroup = await api.call('add_user_group', {
      ...target,
      target_group: { group_id: '1'.repeat(32) },
    });
    expect(noGroup.status).toBe(404);
  });

  it('delete_user (users_delete) deletes a user; the last administrator stays', async () => {
    await kasm.call('create_user', { target_user: { username: 'kasm-del@example.com' } });
    const api = await keyed('users_delete');
    expect(await api.call('delete_user', { target_user: { username: 'kasm-del@example.com' } })).toEqual({
      status: 200,
      body: {},
    });
    expect((await kasm.call('get_user', { target_user: { username: 'kasm-del@example.com' } })).status).toBe(
      404,
    );
    const last = await api.call('delete_user', { target_user: { username: ADMIN_USERNAME }, force: true });
    expect(last.status).toBe(409);
    expect(last.body.error_message).toMatch(/last administrator/);
  });
});

describe('developer API: images and kasms without an agent', () => {
  it('get_images (images_view) lists workspaces with Kasm names', async () => {
    const api = await keyed('images_view');
    const r = await api.call('get_images');
    expect(r.status).toBe(200);
    const list = r.body.images as Array<Record<string, unknown>>;
    expect(list).toHaveLength(images.length);
    const desktop = images.find((i) => i.name === 'desktop');
    expect(list.find((i) => i.image_id === hex(desktop?.id ?? ''))).toMatchObject({
      name: desktop?.dockerImage,
      friendly_name: desktop?.friendlyName,
      cores: desktop?.cores,
      memory: (desktop?.memoryMb ?? 0) * 1024 * 1024,
      enabled: true,
    });
  });

  it('get_kasms and get_user_kasms (sessions_view) answer empty lists', async () => {
    const api = await keyed('sessions_view');
    const all = await api.call('get_kasms');
    expect(all.status).toBe(200);
    expect(all.body.kasms).toEqual([]);
    expect(all.body.current_time).toMatch(KASM_DATE);
    const users = (await kasm.call('get_users')).body.users as Array<{ user_id: string }>;
    const mine = await api.call('get_user_kasms', { user_id: users[0]?.user_id });
    expect(mine.status).toBe(200);
    expect(mine.body.kasms).toEqual([]);
    expect((await api.call('get_user_kasms', { user_id: '2'.repeat(32) })).status).toBe(404);
  });

  it('request_kasm (users_auth_session): no agent is "No resources are available" with 200', async () => {
    const created = await kasm.call('create_user', { target_user: { username: 'kasm-req@example.com' } });
    const userId = String((created.body.user as Record<string, unknown>).user_id);
    const desktop = images.find((i) => i.name === 'desktop');
    const api = await keyed('users_auth_session');
    const r = await api.call('request_kasm', { user_id: userId, image_id: hex(desktop?.id ?? '') });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['error_message']);
    expect(r.body.error_message).toMatch(/^No resources are available to create the requested Kasm/);
    // The other failures keep their 4xx.
    expect(
      (await api.call('request_kasm', { user_id: '3'.repeat(32), image_id: hex(desktop?.id ?? '') })).status,
    ).toBe(404);
    expect((await api.call('request_kasm', { user_id: userId, image_id: '4'.repeat(32) })).status).toBe(404);
    const env = await api.call('request_kasm', {
      user_id: userId,
      image_id: hex(desktop?.id ?? ''),
      environment: { VNC_PW: 'mine' },
    });
    expect(env.status).toBe(400);
    expect(env.body.error_message).toMatch(/^environment\.VNC_PW: /);
    const url = await api.call('request_kasm', {
      user_id: userId,
      image_id: hex(desktop?.id ?? ''),
      kasm_url: 'nope',
    });
    expect(url.body.error_message).toMatch(/^kasm_url:/);
    // Nothing was left behind.
    expect((await kasm.call('get_user_kasms', { user_id: userId })).body.kasms).toEqual([]);
  });

  it('get_kasm_status and the session verbs answer 404 for an unknown kasm', async () => {
    for (const endpoint of ['get_kasm_status', 'destroy_kasm', 'keepalive', 'pause_kasm', 'resume_kasm']) {
      const r = await kasm.call(endpoint, { kasm_id: '5'.repeat(32) });
      expect(r.status, endpoint).toBe(404);
      expect(r.body.error_message).toMatch(/no kasm/);
    }
    const exec = await kasm.call('exec_command_kasm', {
      kasm_id: '5'.repeat(32),
      exec_config: { cmd: 'true' },
    });
    expect(exec.status).toBe(404);
  });

  it('join_kasm for an unknown user is 404', async () => {
    const r = await kasm.call('join_kasm', { share_id: 'abc', user_id: '6'.repeat(32) });
    expect(r.status).toBe(404);
    expect(r.body.error_message).toMatch(/user/);
  });
});
