import type { AdminUserView, GroupView, ImageView, WorkspaceView, ZoneView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDefaults } from '../../../packages/server/src/installation/ensure-defaults.js';
import { ApiClient } from '../../support/http.js';
import { adminClient, createTestDatabase, startTestServer, type TestServer } from './support.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;

beforeAll(async () => {
  db = await createTestDatabase('admin_defaults');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

async function restart(): Promise<void> {
  await t.stop();
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
}

const images = async () => (await admin.get<{ items: ImageView[] }>('/api/admin/images')).body.items;
const zones = async () => (await admin.get<{ items: ZoneView[] }>('/api/admin/zones')).body.items;
const groups = async () => (await admin.get<{ items: GroupView[] }>('/api/admin/groups')).body.items;
const allUsersId = async () => (await groups()).find((g) => g.systemRole === 'all_users')?.id;

describe('defaults', () => {
  it('seeds a default zone and three enabled workspaces allowed to All Users', async () => {
    const z = await zones();
    expect(z).toHaveLength(1);
    expect(z[0]).toMatchObject({ name: 'default', isDefault: true });
    const all = await allUsersId();
    const byName = Object.fromEntries((await images()).map((i) => [i.name, i]));
    expect(Object.keys(byName).sort()).toEqual(['desktop', 'desktop-deluxe', 'firefox']);
    expect(byName.desktop).toMatchObject({
      dockerImage: 'porthole/desktop:latest',
      cores: 2,
      memoryMb: 2048,
      shmMb: 512,
      gpuCount: 0,
      enabled: true,
      groupIds: [all],
    });
    expect(byName['desktop-deluxe']).toMatchObject({
      dockerImage: 'porthole/desktop-deluxe:latest',
      memoryMb: 3072,
    });
    expect(byName.firefox).toMatchObject({
      dockerImage: 'porthole/firefox:latest',
      cores: 2,
      memoryMb: 2048,
    });
    for (const i of Object.values(byName)) {
      expect(i.friendlyName).not.toBe('');
      expect(i.description).not.toBe('');
      expect(i.categories.length).toBeGreaterThan(0);
      expect(i.icon).toMatch(/^data:image\/svg\+xml/);
    }
  });

  it('creates them exactly once across restarts and leaves admin edits alone', async () => {
    const before = await images();
    await restart();
    expect((await images()).map((i) => i.id).sort()).toEqual(before.map((i) => i.id).sort());
    expect(await zones()).toHaveLength(1);

    const firefox = before.find((i) => i.name === 'firefox');
    const desktop = before.find((i) => i.name === 'desktop');
    await admin.patch(`/api/admin/images/${firefox?.id}`, { groupIds: [], cores: 1 });
    await admin.delete(`/api/admin/images/${desktop?.id}`);
    const def = (await zones())[0];
    await admin.patch(`/api/admin/zones/${def?.id}`, { name: 'main' });
    await restart();

    const after = Object.fromEntries((await images()).map((i) => [i.name, i]));
    expect(after.firefox).toMatchObject({ id: firefox?.id, groupIds: [], cores: 1 });
    // A deleted default comes back: the installation is never left without it.
    expect(after.desktop?.id).not.toBe(desktop?.id);
    expect(after.desktop?.groupIds).toEqual([await allUsersId()]);
    const z = await zones();
    expect(z).toHaveLength(1);
    expect(z[0]).toMatchObject({ name: 'main', isDefault: true });
  });

  it('is safe when several servers ensure the defaults at once', async () => {
    const kdb = t.server.database.db;
    await kdb.deleteFrom('images').where('name', 'in', ['desktop', 'firefox']).execute();
    const results = await Promise.all([ensureDefaults(kdb), ensureDefaults(kdb), ensureDefaults(kdb)]);
    expect(results.flatMap((r) => r.imagesCreated).sort()).toEqual(['desktop', 'firefox']);
    expect((await images()).map((i) => i.name).sort()).toEqual(['desktop', 'desktop-deluxe', 'firefox']);
  });
});

describe('GET /api/workspaces', () => {
  it('needs a signed-in user', async () => {
    expect((await new ApiClient(t.server.url).get('/api/workspaces')).status).toBe(401);
  });

  it('lists enabled workspaces the caller’s groups allow, and nothing implicit for admins', async () => {
    for (const username of ['one@example.com', 'two@example.com']) {
      const r = await admin.post<AdminUserView>('/api/admin/users', { username, password: 'password-123' });
      expect(r.status).toBe(201);
    }
    const users = (await admin.get<{ items: AdminUserView[] }>('/api/admin/users')).body.items;
    const one = users.find((u) => u.username === 'one@example.com');
    const all = await allUsersId();
    const defaults = await images();
    // Start from a known state: every default allowed to All Users and enabled.
    for (const i of defaults)
      await admin.patch(`/api/admin/images/${i.id}`, { groupIds: [all], enabled: true });

    const special = await admin.post<ImageView>('/api/admin/images', {
      name: 'special',
      friendlyName: 'Special',
      dockerImage: 'example/special:1',
      cores: 1,
      memoryMb: 512,
    });
    await admin.post('/api/admin/groups', {
      name: 'Special people',
      memberIds: [one?.id],
      imageIds: [special.body.id],
    });
    const deluxe = defaults.find((i) => i.name === 'desktop-deluxe');
    await admin.patch(`/api/admin/images/${deluxe?.id}`, { enabled: false });

    const c1 = new ApiClient(t.server.url);
    await c1.signIn('one@example.com', 'password-123');
    const c2 = new ApiClient(t.server.url);
    await c2.signIn('two@example.com', 'password-123');
    const names = async (c: ApiClient) =>
      (await c.get<{ items: WorkspaceView[] }>('/api/workspaces')).body.items.map((w) => w.name).sort();

    expect(await names(c1)).toEqual(['desktop', 'firefox', 'special']);
    expect(await names(c2)).toEqual(['desktop', 'firefox']);
    expect(await names(admin)).toEqual(['desktop', 'firefox']);
    const w = (await c1.get<{ items: WorkspaceView[] }>('/api/workspaces')).body.items.find(
      (x) => x.name === 'special',
    );
    expect(Object.keys(w ?? {}).sort()).toEqual(
      ['categories', 'cores', 'description', 'friendlyName', 'icon', 'id', 'memoryMb', 'name'].sort(),
    );
  });
});
