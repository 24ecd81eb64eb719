import type { GroupView, ImageView, ZoneView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ErrorBody } from '../../support/http.js';
import { adminClient, createTestDatabase, startTestServer, type TestServer } from './support.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;
const ghost = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  db = await createTestDatabase('admin_zones');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

async function insertAgent(name: string, zoneId: string): Promise<string> {
  const id = crypto.randomUUID();
  await t.server.database.db
    .insertInto('agents')
    .values({ id, name, zone_id: zoneId, url: 'http://127.0.0.1:1', secret_hash: Buffer.alloc(32) })
    .execute();
  return id;
}

const base = { friendlyName: 'Tools', dockerImage: 'example/tools:1.0', cores: 1, memoryMb: 1024 };

describe('admin zones API', () => {
  it('has the default zone, which cannot be deleted', async () => {
    const zones = (await admin.get<{ items: ZoneView[] }>('/api/admin/zones')).body.items;
    const def = zones.find((z) => z.isDefault);
    expect(def).toMatchObject({ name: 'default', searchAlternateZones: true, agentCount: 0 });
    const r = await admin.delete<ErrorBody>(`/api/admin/zones/${def?.id}`);
    expect(r.status).toBe(409);
  });

  it('creates, renames, toggles fallback and deletes zones', async () => {
    const c = await admin.post<ZoneView>('/api/admin/zones', { name: 'east', searchAlternateZones: false });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      name: 'east',
      isDefault: false,
      searchAlternateZones: false,
      agentCount: 0,
    });
    const u = await admin.patch<ZoneView>(`/api/admin/zones/${c.body.id}`, {
      name: 'east-1',
      searchAlternateZones: true,
    });
    expect(u.body).toMatchObject({ name: 'east-1', searchAlternateZones: true });
    expect((await admin.get<ZoneView>(`/api/admin/zones/${c.body.id}`)).body).toEqual(u.body);
    expect((await admin.delete(`/api/admin/zones/${c.body.id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/zones/${c.body.id}`)).status).toBe(404);
  });

  it('refuses clashing names, bad fields, unknown ids, and deleting a zone with agents', async () => {
    expect((await admin.post('/api/admin/zones', { name: 'west' })).status).toBe(201);
    expect((await admin.post('/api/admin/zones', { name: 'WEST' })).status).toBe(409);
    const bad = await admin.post<ErrorBody>('/api/admin/zones', { name: 'x', searchAlternateZones: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^searchAlternateZones: /);
    expect((await admin.patch(`/api/admin/zones/${ghost}`, { name: 'n' })).status).toBe(404);
    expect((await admin.delete(`/api/admin/zones/${ghost}`)).status).toBe(404);
    expect((await admin.delete('/api/admin/zones/nope')).status).toBe(400);

    const z = await admin.post<ZoneView>('/api/admin/zones', { name: 'busy' });
    const agent = await insertAgent('busy-agent', z.body.id);
    expect((await admin.get<ZoneView>(`/api/admin/zones/${z.body.id}`)).body.agentCount).toBe(1);
    const refused = await admin.delete<ErrorBody>(`/api/admin/zones/${z.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/agent/);
    await t.server.database.db.deleteFrom('agents').where('id', '=', agent).execute();
    expect((await admin.delete(`/api/admin/zones/${z.body.id}`)).status).toBe(204);
  });
});

describe('admin images API', () => {
  it('creates an image with every field and reads it back', async () => {
    const zone = await admin.post<ZoneView>('/api/admin/zones', { name: 'img-zone' });
    const agentId = await insertAgent('img-agent', zone.body.id);
    const group = await admin.post<GroupView>('/api/admin/groups', { name: 'Image testers' });
    const body = {
      name: 'tools',
      ...base,
      description: 'Handy tools',
      shmMb: 256,
      gpuCount: 0,
      network: 'porthole-net',
      zoneId: zone.body.id,
      agentId,
      enabled: false,
      categories: ['Dev'],
      icon: 'data:image/svg+xml;utf8,%3Csvg%2F%3E',
      runConfig: {
        environment: { FOO: 'bar' },
        pidsLimit: 256,
        volumes: [{ source: '/srv/x', target: '/x' }],
      },
      execConfig: { firstLaunch: { cmd: 'echo hi' } },
      groupIds: [group.body.id],
    };
    const c = await admin.post<ImageView>('/api/admin/images', body);
    expect(c.status).toBe(201);
    const { name, ...rest } = body;
    expect(c.body).toMatchObject({ name, ...rest });
    expect((await admin.get<ImageView>(`/api/admin/images/${c.body.id}`)).body).toEqual(c.body);
    expect((await admin.get<GroupView>(`/api/admin/groups/${group.body.id}`)).body.imageIds).toEqual([
      c.body.id,
    ]);

    const u = await admin.patch<ImageView>(`/api/admin/images/${c.body.id}`, {
      cores: 0.5,
      zoneId: null,
      agentId: null,
      network: null,
      enabled: true,
      groupIds: [],
    });
    expect(u.status).toBe(200);
    expect(u.body).toMatchObject({
      cores: 0.5,
      zoneId: null,
      agentId: null,
      network: null,
      enabled: true,
      groupIds: [],
    });
    expect((await admin.delete(`/api/admin/images/${c.body.id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/images/${c.body.id}`)).status).toBe(404);
  });

  it('names bad fields: schema, unsafe run config, missing zone/agent/group, network', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'Bad Name', ...base }, /^name: /],
      [{ name: 'x', ...base, cores: 0 }, /^cores: /],
      [{ name: 'x', ...base, gpuCount: 1 }, /^gpuCount: /],
      [{ name: 'x', ...base, dockerImage: 'Not An Image' }, /^dockerImage: /],
      [{ name: 'x', ...base, runConfig: { privileged: true } }, /privileged/],
      [
        { name: 'x', ...base, runConfig: { volumes: [{ source: '/var/run/docker.sock', target: '/s' }] } },
        /^runConfig\.volumes\.0\.source: /,
      ],
      [{ name: 'x', ...base, execConfig: { firstLaunch: { cmd: 'x', privileged: true } } }, /privileged/],
      [{ name: 'x', ...base, zoneId: ghost }, /^zoneId: /],
      [{ name: 'x', ...base, agentId: ghost }, /^agentId: /],
      [{ name: 'x', ...base, groupIds: [ghost] }, /^groupIds: /],
      [{ name: 'x', ...base, network: 'host' }, /^network: /],
    ];
    for (const [body, pattern] of cases) {
      const r = await admin.post<ErrorBody>('/api/admin/images', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(pattern);
    }
    const names = (await admin.get<{ items: ImageView[] }>('/api/admin/images')).body.items.map(
      (i) => i.name,
    );
    expect(names).not.toContain('x');
  });

  it('refuses an agent outside the chosen zone', async () => {
    const a = await admin.post<ZoneView>('/api/admin/zones', { name: 'zone-a' });
    const b = await admin.post<ZoneView>('/api/admin/zones', { name: 'zone-b' });
    const agentB = await insertAgent('agent-b', b.body.id);
    const r = await admin.post<ErrorBody>('/api/admin/images', {
      name: 'pinned',
      ...base,
      zoneId: a.body.id,
      agentId: agentB,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^agentId: /);
  });

  it('refuses clashing names, unknown ids and deleting an image with live sessions', async () => {
    expect((await admin.post('/api/admin/images', { name: 'dup', ...base })).status).toBe(201);
    expect((await admin.post('/api/admin/images', { name: 'dup', ...base })).status).toBe(409);
    const other = await admin.post<ImageView>('/api/admin/images', { name: 'other', ...base });
    expect((await admin.patch(`/api/admin/images/${other.body.id}`, { name: 'dup' })).status).toBe(409);
    expect((await admin.patch(`/api/admin/images/${ghost}`, { cores: 1 })).status).toBe(404);
    expect((await admin.delete(`/api/admin/images/${ghost}`)).status).toBe(404);
    expect((await admin.get('/api/admin/images/zzz')).status).toBe(400);

    const kdb = t.server.database.db;
    const live = crypto.randomUUID();
    const ended = crypto.randomUUID();
    await kdb
      .insertInto('sessions')
      .values([
        { id: live, image_id: other.body.id, state: 'running', cores: 1, memory_mb: 1024 },
        {
          id: ended,
          image_id: other.body.id,
          state: 'deleted',
          cores: 1,
          memory_mb: 1024,
          ended_at: new Date(),
        },
      ])
      .execute();
    const refused = await admin.delete<ErrorBody>(`/api/admin/images/${other.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/live session/);
    await kdb
      .updateTable('sessions')
      .set({ state: 'deleted', ended_at: new Date() })
      .where('id', '=', live)
      .execute();
    // Ended sessions' history goes with the image instead of blocking it.
    expect((await admin.delete(`/api/admin/images/${other.body.id}`)).status).toBe(204);
  });
});
