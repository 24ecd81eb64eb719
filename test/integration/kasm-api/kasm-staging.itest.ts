import type { ImageView, ZoneView } from '@porthole/contracts';
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
 * get_zones and the staging-config endpoints, body by body as Kasm's documentation shows them,
 * against the real server. No agent: the pools are checked as configuration, and an empty pool
 * (num_sessions 0) or a zone without agents starts nothing.
 */
const UNKNOWN = 'f'.repeat(32);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;
let root: KasmClient;
let image: ImageView;
let zone: ZoneView;
let spare: ZoneView;

beforeAll(async () => {
  db = await createTestDatabase('kasm_staging');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
  root = new KasmClient(t.server.url, await createKey(admin, ['global_admin']));
  const created = await admin.post<ImageView>('/api/admin/images', {
    name: 'staged-desktop',
    friendlyName: 'Staged Desktop',
    dockerImage: 'porthole/desktop:latest',
    cores: 1,
    memoryMb: 1024,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  image = created.body;
  const zones = (await admin.get<{ items: ZoneView[] }>('/api/admin/zones')).body.items;
  const found = zones.find((z) => z.isDefault);
  if (!found) throw new Error('no default zone');
  zone = found;
  spare = (await admin.post<ZoneView>('/api/admin/zones', { name: 'east', searchAlternateZones: false }))
    .body;
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

describe('get_zones', () => {
  it('answers every zone in Kasm’s zone shape', async () => {
    const r = await root.call('get_zones', {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const zones = r.body.zones as Array<Record<string, unknown>>;
    expect(zones).toContainEqual({
      zone_id: hex(zone.id),
      zone_name: zone.name,
      search_alternate_zones: zone.searchAlternateZones,
      load_strategy: 'least_load',
      prioritize_static_agents: true,
      allow_origin_domain: '$request_host$',
      upstream_auth_address: '$request_host$',
      proxy_connections: true,
      proxy_hostname: '$request_host$',
      proxy_path: 'session',
      proxy_port: 0,
      porthole_default: true,
      porthole_agent_count: 0,
    });
    expect(zones).toContainEqual(
      expect.objectContaining({ zone_id: hex(spare.id), zone_name: 'east', search_alternate_zones: false }),
    );
  });

  it('with brief: true answers only ids and names', async () => {
    const r = await root.call('get_zones', { brief: true });
    expect(r.status).toBe(200);
    expect(r.body.zones).toContainEqual({ zone_id: hex(spare.id), zone_name: 'east' });
    for (const z of r.body.zones as object[]) expect(Object.keys(z).sort()).toEqual(['zone_id', 'zone_name']);
  });

  it('needs zones_view', async () => {
    const staging = new KasmClient(t.server.url, await createKey(admin, ['staging_view']));
    expect((await staging.call('get_zones')).status).toBe(403);
    const viewer = new KasmClient(t.server.url, await createKey(admin, ['zones_view']));
    expect((await viewer.call('get_zones')).status).toBe(200);
  });
});

describe('staging configs', () => {
  let configId: string;

  it('create_staging_config makes a pool from Kasm’s body (expiration in hours)', async () => {
    const r = await root.call('create_staging_config', {
      target_staging_config: {
        zone_id: hex(spare.id),
        image_id: hex(image.id),
        num_sessions: 0,
        expiration: 0.5,
        server_pool_id: null,
        autoscale_config_id: null,
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const config = r.body.staging_config as Record<string, unknown>;
    expect(config).toMatchObject({
      zone_id: hex(spare.id),
      zone_name: 'east',
      image_id: hex(image.id),
      image_friendly_name: 'Staged Desktop',
      num_sessions: 0,
      num_current_sessions: 0,
      expiration: 0.5,
      server_pool_id: null,
      autoscale_config_id: null,
      allow_kasm_audio: null,
      allow_kasm_clipboard_up: null,
    });
    configId = String(config.staging_config_id);
    expect(configId).toMatch(/^[0-9a-f]{32}$/);
    // The native view is the same pool: 30 minutes.
    const native = await admin.get<{ expirationSeconds: number; desiredCount: number }>(
      `/api/admin/staging/${configId.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')}`,
    );
    expect(native.body).toMatchObject({ expirationSeconds: 1800, desiredCount: 0 });
  });

  it('get_staging_config and get_staging_configs answer it', async () => {
    const one = await root.call('get_staging_config', {
      target_staging_config: { staging_config_id: configId },
    });
    expect(one.status).toBe(200);
    expect(one.body.staging_config).toMatchObject({ staging_config_id: configId, num_sessions: 0 });
    const all = await root.call('get_staging_configs');
    expect(all.body.staging_configs).toEqual([expect.objectContaining({ staging_config_id: configId })]);
  });

  it('update_staging_config changes num_sessions and expiration', async () => {
    const r = await root.call('update_staging_config', {
      target_staging_config: { staging_config_id: configId, num_sessions: 0, expiration: 2 },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.staging_config).toMatchObject({ staging_config_id: configId, expiration: 2 });
  });

  it('refuses the Kasm fields Porthole cannot apply, naming each, and stores nothing', async () => {
    for (const [field, value] of [
      ['allow_kasm_audio', false],
      ['allow_kasm_clipboard_down', true],
      ['server_pool_id', UNKNOWN],
      ['autoscale_config_id', UNKNOWN],
    ] as const) {
      const r = await root.call('update_staging_config', {
        target_staging_config: { staging_config_id: configId, expiration: 3, [field]: value },
      });
      expect(r.status, field).toBe(400);
      expect(r.body.error_message).toMatch(new RegExp(`^target_staging_config\\.${field}: `));
    }
    const after = await root.call('get_staging_config', {
      target_staging_config: { staging_config_id: configId },
    });
    expect(after.body.staging_config).toMatchObject({ expiration: 2 });
  });

  it('answers unknown ids and bad references in Kasm’s error shape, never a 500', async () => {
    const target = { staging_config_id: UNKNOWN };
    for (const name of ['get_staging_config', 'delete_staging_config']) {
      const r = await root.call(name, { target_staging_config: target });
      expect(r, name).toEqual({ status: 404, body: { error_message: `no staging config ${UNKNOWN}` } });
    }
    const update = await root.call('update_staging_config', {
      target_staging_config: { ...target, num_sessions: 1 },
    });
    expect(update.status).toBe(404);
    const noZone = await root.call('create_staging_config', {
      target_staging_config: { zone_id: UNKNOWN, image_id: hex(image.id), num_sessions: 1 },
    });
    expect(noZone).toEqual({
      status: 400,
      body: { error_message: `target_staging_config.zone_id: no zone ${UNKNOWN}` },
    });
    const noImage = await root.call('update_staging_config', {
      target_staging_config: { staging_config_id: configId, image_id: UNKNOWN },
    });
    expect(noImage.body.error_message).toBe(`target_staging_config.image_id: no image ${UNKNOWN}`);
    const missing = await root.call('delete_staging_config', { target_staging_config: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error_message).toMatch(/^target_staging_config\.staging_config_id: /);
    // A second pool for the same zone × workspace, by create or by moving another onto it.
    const twice = await root.call('create_staging_config', {
      target_staging_config: { zone_id: hex(spare.id), image_id: hex(image.id), num_sessions: 0 },
    });
    expect(twice.status).toBe(409);
    const other = await root.call('create_staging_config', {
      target_staging_config: { zone_id: hex(zone.id), image_id: hex(image.id), num_sessions: 0 },
    });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    const otherId = (other.body.staging_config as { staging_config_id: string }).staging_config_id;
    const moved = await root.call('update_staging_config', {
      target_staging_config: { staging_config_id: otherId, zone_id: hex(spare.id) },
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(409);
    expect(Object.keys(moved.body)).toEqual(['error_message']);
    await root.call('delete_staging_config', { target_staging_config: { staging_config_id: otherId } });
  });

  it('delete_staging_config removes it', async () => {
    const r = await root.call('delete_staging_config', {
      target_staging_config: { staging_config_id: configId },
    });
    expect(r).toEqual({ status: 200, body: {} });
    expect((await root.call('get_staging_configs')).body.staging_configs).toEqual([]);
  });

  it('keeps each step behind its own staging permission', async () => {
    const viewer = new KasmClient(t.server.url, await createKey(admin, ['staging_view']));
    expect((await viewer.call('get_staging_configs')).status).toBe(200);
    const body = {
      target_staging_config: { zone_id: hex(zone.id), image_id: hex(image.id), num_sessions: 0 },
    };
    expect((await viewer.call('create_staging_config', body)).status).toBe(403);
    const creator = new KasmClient(t.server.url, await createKey(admin, ['staging_create']));
    const made = await creator.call('create_staging_config', body);
    expect(made.status).toBe(200);
    const id = (made.body.staging_config as { staging_config_id: string }).staging_config_id;
    const target = { target_staging_config: { staging_config_id: id } };
    expect((await creator.call('delete_staging_config', target)).status).toBe(403);
    const deleter = new KasmClient(t.server.url, await createKey(admin, ['staging_delete']));
    expect(await deleter.call('delete_staging_config', target)).toEqual({ status: 200, body: {} });
  });
});
