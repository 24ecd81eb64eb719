import type { StagingView, ZoneView } from '@porthole/contracts';
import Docker from 'dockerode';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../support/http.js';
import { type AgentStack, startAgentFor, until, workspaceImagePresent } from './agent-stack.js';
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
 * `environment` of request_kasm reaches the session's container (server → provisioner → agent →
 * Docker), and names the platform sets are refused before anything starts.
 */
const haveImage = await workspaceImagePresent();
const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let stack: AgentStack;
let api: KasmClient;
let admin: ApiClient;
let userId: string;

beforeAll(async () => {
  if (!haveImage) return;
  db = await createTestDatabase('kasm_environment');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
  stack = await startAgentFor(t, admin);
  api = new KasmClient(
    t.server.url,
    await createKey(admin, ['users_auth_session', 'users_create', 'sessions_view']),
  );
  const created = await api.call('create_user', { target_user: { username: 'kasm-env@example.com' } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  userId = String((created.body.user as { user_id: string }).user_id);
});
afterAll(async () => {
  await stack?.stop();
  await t?.stop();
  await db?.drop();
});

const uuidOf = (kasmId: string) => kasmId.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/** What the sessions row still holds of the request's environment. */
async function storedEnvironment(kasmId: string): Promise<unknown> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const r = await c.query<{ environment: unknown }>('SELECT environment FROM sessions WHERE id = $1', [
      uuidOf(kasmId),
    ]);
    return r.rows[0]?.environment;
  } finally {
    await c.end();
  }
}

async function containerEnv(kasmId: string): Promise<string[]> {
  const uuid = uuidOf(kasmId);
  const [found] = await docker.listContainers({
    all: true,
    filters: { label: [`io.porthole.session=${uuid}`] },
  });
  if (!found) throw new Error(`no container for kasm ${kasmId}`);
  return (await docker.getContainer(found.Id).inspect()).Config.Env ?? [];
}

describe.skipIf(!haveImage)('request_kasm environment', () => {
  it('puts the variables into the container, beside the ones the platform sets', async () => {
    const r = await api.call('request_kasm', {
      user_id: userId,
      image_id: hex(stack.image.id),
      kasm_url: 'https://example.com/',
      environment: { FOO: 'bar baz', EMPTY: '' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const kasmId = String(r.body.kasm_id);
    // The container exists from `starting` on; its environment is fixed at create.
    const env = await until('the kasm container', async () => {
      const s = await api.call('get_kasm_status', { kasm_id: kasmId });
      if (s.body.operational_status === 'error') throw new Error(String(s.body.operational_message));
      return ['starting', 'running'].includes(String(s.body.operational_status))
        ? containerEnv(kasmId)
        : undefined;
    });
    expect(env).toEqual(expect.arrayContaining(['FOO=bar baz', 'EMPTY=', 'KASM_URL=https://example.com/']));
    expect(env.some((e) => e.startsWith('VNC_PW='))).toBe(true);
    // Once the container exists the values (possibly tokens) are not kept at rest any longer.
    expect(await storedEnvironment(kasmId)).toBeNull();
  });

  it('refuses names the platform sets, naming the variable', async () => {
    for (const name of ['VNC_PW', 'KASM_URL', 'VNC_RESOLUTION', 'PORTHOLE_SESSION_ID', 'LD_PRELOAD']) {
      const r = await api.call('request_kasm', {
        user_id: userId,
        image_id: hex(stack.image.id),
        environment: { OK: '1', [name]: 'x' },
      });
      expect(r).toEqual({
        status: 400,
        body: { error_message: `environment.${name}: is set by the platform and cannot be overridden` },
      });
    }
  });

  it('refuses bad names, too many variables and long values', async () => {
    const call = (environment: unknown) =>
      api.call('request_kasm', { user_id: userId, image_id: hex(stack.image.id), environment });
    const badName = await call({ 'NOT-A-NAME': 'x' });
    expect(badName.status).toBe(400);
    expect(badName.body.error_message).toMatch(
      /^environment\.NOT-A-NAME: must be an environment variable name/,
    );
    const many = await call(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, 'x'])));
    expect(many).toEqual({
      status: 400,
      body: { error_message: 'environment: must hold at most 64 variables' },
    });
    const long = await call({ BIG: 'x'.repeat(4097) });
    expect(long).toEqual({
      status: 400,
      body: { error_message: 'environment.BIG: must be at most 4096 characters' },
    });
    expect((await call({ NUM: 1 })).status).toBe(400);
    expect((await call(['A=1'])).status).toBe(400);
    // Only the first request started anything.
    const kasms = await api.call('get_user_kasms', { user_id: userId });
    expect((kasms.body.kasms as unknown[]).length).toBe(1);
  });

  it('takes a fresh container rather than a staged one, whose environment is already fixed', async () => {
    // Room under the group's session limit (2) for the fresh kasm and the staged one.
    for (const k of (await api.call('get_user_kasms', { user_id: userId })).body.kasms as Array<{
      kasm_id: string;
    }>)
      expect((await admin.delete(`/api/admin/sessions/${uuidOf(k.kasm_id)}`)).status).toBe(204);
    const zones = (await admin.get<{ items: ZoneView[] }>('/api/admin/zones')).body.items;
    const zone = zones.find((z) => z.isDefault) ?? zones[0];
    const created = await admin.post<StagingView>('/api/admin/staging', {
      zoneId: zone?.id,
      imageId: stack.image.id,
      desiredCount: 1,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const standbyId = await until('a staged session to be ready', async () => {
      const live = await api.call('get_kasms');
      const staged = (
        live.body.kasms as Array<{ kasm_id: string; user_id: string | null; operational_status: string }>
      ).find((k) => k.user_id === null && k.operational_status === 'running');
      return staged?.kasm_id;
    });
    const r = await api.call('request_kasm', {
      user_id: userId,
      image_id: hex(stack.image.id),
      environment: { FROM_REQUEST: 'yes' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.kasm_id).not.toBe(standbyId);
    expect(['requested', 'provisioning']).toContain(r.body.status);
    const env = await until('the fresh container', async () => {
      const s = await api.call('get_kasm_status', { kasm_id: r.body.kasm_id });
      return s.body.operational_status === 'running' ? containerEnv(String(r.body.kasm_id)) : undefined;
    });
    expect(env).toContain('FROM_REQUEST=yes');
    // The standby is still there for a request without variables.
    const plain = await api.call('request_kasm', { user_id: userId, image_id: hex(stack.image.id) });
    expect(plain.body).toMatchObject({ kasm_id: standbyId, status: 'running' });
    expect(await containerEnv(standbyId)).not.toContain('FROM_REQUEST=yes');
    await admin.delete(`/api/admin/staging/${created.body.id}`);
  });
});
