import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStack, startAgentFor, until, workspaceImagePresent } from './agent-stack.js';
import {
  adminClient,
  createKey,
  createTestDatabase,
  hex,
  KasmClient,
  type KasmReply,
  startTestServer,
  type TestServer,
} from './support.js';

/**
 * The session endpoints of the developer API against the real server and a real agent on the
 * local Docker: request → status → one-time link → keepalive → exec → pause → resume → destroy.
 */
const run = promisify(execFile);
const haveImage = await workspaceImagePresent();
const KASM_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let stack: AgentStack;
let root: KasmClient;
let launcher: KasmClient;
let viewer: KasmClient;
let modifier: KasmClient;

beforeAll(async () => {
  if (!haveImage) return;
  db = await createTestDatabase('kasm_sessions');
  t = await startTestServer(db.url);
  const admin = await adminClient(t.server);
  stack = await startAgentFor(t, admin);
  const client = async (...p: Parameters<typeof createKey>[1]) =>
    new KasmClient(t.server.url, await createKey(admin, p));
  root = await client('global_admin');
  launcher = await client('users_auth_session');
  viewer = await client('sessions_view');
  modifier = await client('sessions_modify');
});
afterAll(async () => {
  await stack?.stop();
  await t?.stop();
  await db?.drop();
});

async function newUser(username: string): Promise<string> {
  const r = await root.call('create_user', { target_user: { username } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return String((r.body.user as { user_id: string }).user_id);
}

async function statusOf(kasmId: string, api = viewer): Promise<KasmReply['body']> {
  const r = await api.call('get_kasm_status', { kasm_id: kasmId });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

async function waitFor(kasmId: string, status: string): Promise<KasmReply['body']> {
  return until(`kasm ${kasmId} to be ${status}`, async () => {
    const s = await statusOf(kasmId);
    if (s.operational_status === 'error') throw new Error(`kasm failed: ${String(s.operational_message)}`);
    return s.operational_status === status ? s : undefined;
  });
}

async function containerOf(kasmId: string): Promise<string> {
  const uuid = `${kasmId.slice(0, 8)}-${kasmId.slice(8, 12)}-${kasmId.slice(12, 16)}-${kasmId.slice(16, 20)}-${kasmId.slice(20)}`;
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=io.porthole.session=${uuid}`]);
  return stdout.trim();
}

describe.skipIf(!haveImage)('developer API sessions on a real agent', () => {
  let userId: string;
  let kasmId: string;
  let firstUrl: string;

  it('request_kasm starts a session for the user and hands out a one-time kasm_url', async () => {
    userId = await newUser('kasm-session@example.com');
    // Sharing is off for All Users by default: refused before any session is created.
    const refused = await launcher.call('request_kasm', {
      user_id: userId,
      image_id: hex(stack.image.id),
      enable_sharing: true,
    });
    expect(refused).toEqual({
      status: 403,
      body: { error_message: 'your groups do not allow sharing sessions' },
    });
    const r = await launcher.call('request_kasm', {
      user_id: userId,
      image_id: hex(stack.image.id),
      kasm_url: 'https://example.com/',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      user_id: userId,
      username: 'kasm-session@example.com',
      share_id: null,
    });
    expect(['requested', 'provisioning', 'starting', 'running']).toContain(r.body.status);
    kasmId = String(r.body.kasm_id);
    expect(kasmId).toMatch(/^[0-9a-f]{32}$/);
    firstUrl = String(r.body.kasm_url);
    expect(firstUrl).toBe(`/api/auth/one-time?token=${encodeURIComponent(String(r.body.session_token))}`);
  });

  it('get_kasm_status reports progress until running, with the kasm in Kasm’s shape', async () => {
    const running = await waitFor(kasmId, 'running');
    expect(running).toMatchObject({ operational_progress: 100, kasm_url: null });
    expect(running.current_time).toMatch(KASM_DATE);
    expect(running.kasm).toMatchObject({
      kasm_id: kasmId,
      user_id: userId,
      username: 'kasm-session@example.com',
      image_id: hex(stack.image.id),
      image: {
        image_id: hex(stack.image.id),
        name: stack.image.dockerImage,
        friendly_name: 'Kasm test desktop',
      },
      operational_status: 'running',
      server_id: hex(stack.agent.agentId),
      cores: 0.5,
      memory: 1024 * 1024 * 1024,
      share_id: null,
      // The agent registered with this machine's host name; its container ports stay private.
      host: hostname(),
      container_ip: null,
      port: null,
      port_map: null,
      view_only_token: null,
    });
    const kasm = running.kasm as Record<string, string>;
    for (const field of ['start_date', 'keepalive_date']) expect(kasm[field]).toMatch(KASM_DATE);
    // A key that may sign users in gets a fresh link; a view-only key does not.
    const withLink = await statusOf(kasmId, launcher);
    expect(String(withLink.kasm_url)).toMatch(/^\/api\/auth\/one-time\?token=/);
    expect(withLink.kasm_url).not.toBe(firstUrl);
    // Another user's id makes the kasm invisible.
    const other = await viewer.call('get_kasm_status', { kasm_id: kasmId, user_id: '7'.repeat(32) });
    expect(other.status).toBe(404);
  });

  it('get_kasms and get_user_kasms list it', async () => {
    const all = await viewer.call('get_kasms');
    expect((all.body.kasms as Array<{ kasm_id: string }>).map((k) => k.kasm_id)).toContain(kasmId);
    const mine = await viewer.call('get_user_kasms', { user_id: userId });
    expect(mine.body.kasms).toEqual([
      expect.objectContaining({ kasm_id: kasmId, operational_status: 'running' }),
    ]);
  });

  it('kasm_url signs the browser in once and lands on the session', async () => {
    const res = await fetch(`${t.server.url}${firstUrl}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const uuid = `${kasmId.slice(0, 8)}-${kasmId.slice(8, 12)}-${kasmId.slice(12, 16)}-${kasmId.slice(16, 20)}-${kasmId.slice(20)}`;
    expect(res.headers.get('location')).toBe(`/sessions/${uuid}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^porthole_session=/);
    const me = await fetch(`${t.server.url}/api/auth/me`, { headers: { cookie } });
    expect(((await me.json()) as { user: { username: string } }).user.username).toBe(
      'kasm-session@example.com',
    );
    // The browser may now open the session's stream as its owner.
    const stream = await fetch(`${t.server.url}/api/internal/session-auth`, {
      headers: { cookie, 'x-original-uri': `/session/${uuid}/websockify` },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('x-porthole-role')).toBe('owner');
    const again = await fetch(`${t.server.url}${firstUrl}`, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('keepalive resets the timer', async () => {
    const before = ((await statusOf(kasmId)).kasm as { keepalive_date: string }).keepalive_date;
    await new Promise((r) => setTimeout(r, 20));
    const r = await modifier.call('keepalive', { kasm_id: kasmId });
    expect(r).toEqual({ status: 200, body: { usage_reached: false } });
    const after = ((await statusOf(kasmId)).kasm as { keepalive_date: string }).keepalive_date;
    expect(after > before).toBe(true);
  });

  it('exec_command_kasm starts a command without waiting for it', async () => {
    const r = await modifier.call('exec_command_kasm', {
      kasm_id: kasmId,
      user_id: userId,
      exec_config: {
        cmd: 'sh -c "sleep 1; echo $GREETING > /tmp/kasm-exec"',
        environment: { GREETING: 'hello' },
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.kasm_id).toBe(kasmId);
    const container = await containerOf(kasmId);
    const text = await until(
      'the command to write its file',
      async () => {
        const out = await run('docker', ['exec', container, 'cat', '/tmp/kasm-exec']).catch(() => undefined);
        return out?.stdout;
      },
      30_000,
    );
    expect(text.trim()).toBe('hello');
  });

  it('pause_kasm and resume_kasm', async () => {
    expect(await modifier.call('pause_kasm', { kasm_id: kasmId })).toEqual({ status: 200, body: {} });
    expect((await statusOf(kasmId)).operational_status).toBe('paused');
    const busy = await modifier.call('exec_command_kasm', { kasm_id: kasmId, exec_config: { cmd: 'true' } });
    expect(busy.status).toBe(409);
    expect((await modifier.call('pause_kasm', { kasm_id: kasmId })).status).toBe(409);
    expect(await modifier.call('resume_kasm', { kasm_id: kasmId, user_id: userId })).toEqual({
      status: 200,
      body: {},
    });
    expect((await statusOf(kasmId)).operational_status).toBe('running');
  });

  it('stop_kasm stops it; resume_kasm starts it again', async () => {
    const stopped = await modifier.call('stop_kasm', { kasm_id: kasmId, user_id: userId });
    expect(stopped).toEqual({ status: 200, body: {} });
    expect((await statusOf(kasmId)).operational_status).toBe('stopped');
    const { stdout } = await run('docker', [
      'inspect',
      '-f',
      '{{.State.Running}}',
      await containerOf(kasmId),
    ]);
    expect(stdout.trim()).toBe('false');
    expect((await modifier.call('stop_kasm', { kasm_id: kasmId })).status).toBe(409);
    expect(await modifier.call('stop_kasm', { kasm_id: '9'.repeat(32) })).toEqual({
      status: 404,
      body: { error_message: `no kasm ${'9'.repeat(32)}` },
    });
    expect((await viewer.call('stop_kasm', { kasm_id: kasmId })).status).toBe(403);
    expect((await modifier.call('resume_kasm', { kasm_id: kasmId })).status).toBe(200);
    await waitFor(kasmId, 'running');
  });

  it('join_kasm refuses a share id that was never handed out', async () => {
    const r = await launcher.call('join_kasm', { share_id: kasmId, user_id: userId });
    expect(r).toEqual({ status: 404, body: { error_message: 'this share link is not valid (any more)' } });
  });

  it('destroy_kasm removes the session and its container', async () => {
    const container = await containerOf(kasmId);
    expect(container).not.toBe('');
    expect(await modifier.call('destroy_kasm', { kasm_id: kasmId })).toEqual({ status: 200, body: {} });
    const after = await statusOf(kasmId);
    expect(after.operational_status).toBe('deleted');
    expect(await containerOf(kasmId)).toBe('');
    expect((await viewer.call('get_user_kasms', { user_id: userId })).body.kasms).toEqual([]);
  });

  it('delete_user keeps a user with live kasms unless forced, then removes both', async () => {
    const other = await newUser('kasm-forced@example.com');
    const r = await root.call('request_kasm', { user_id: other, image_id: hex(stack.image.id) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const id = String(r.body.kasm_id);
    const kept = await root.call('delete_user', { target_user: { user_id: other } });
    expect(kept.status).toBe(409);
    expect(kept.body.error_message).toMatch(/force/);
    expect(await root.call('delete_user', { target_user: { user_id: other }, force: true })).toEqual({
      status: 200,
      body: {},
    });
    expect((await root.call('get_user', { target_user: { user_id: other } })).status).toBe(404);
    expect(
      await until('the container to go', async () => ((await containerOf(id)) === '' ? true : undefined)),
    ).toBe(true);
  });
});
