import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextOptions, isNetworkBlip, launchChromium } from '../../e2e/support/browser.js';
import { createTestDatabase } from '../admin/support.js';

/**
 * The developer API as an integrator uses it, against `porthole up` (server, proxy and local agent
 * in one process, started as a child like an operator would) with plain HTTP only:
 * create user → request_kasm → poll get_kasm_status → open kasm_url in Chromium and see the
 * desktop → keepalive → pause → resume → destroy → delete_user.
 */
const CLI = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));
const ADMIN = { username: 'admin@porthole.local', password: 'scenario-admin-password' };
// `porthole up` serves HTTPS with a self-signed certificate; this test process trusts it.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let up: ChildProcess | undefined;
let output = '';
let base = '';
let browser: Browser | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

type Json = Record<string, unknown>;
let credentials: { api_key: string; api_key_secret: string };
let adminCookie = '';

async function kasm(endpoint: string, body: Json = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}/api/public/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...credentials, ...body }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function ok(endpoint: string, body: Json = {}): Promise<Json> {
  const r = await kasm(endpoint, body);
  expect(r.status, `${endpoint}: ${JSON.stringify(r.body)}`).toBe(200);
  expect(r.body.error_message, endpoint).toBeUndefined();
  return r.body;
}

beforeAll(async () => {
  db = await createTestDatabase('kasm_scenario');
  dataDir = await mkdtemp(join(tmpdir(), 'porthole-scenario-'));
  const port = await freePort();
  base = `https://127.0.0.1:${port}`;
  up = spawn(
    process.execPath,
    [
      CLI,
      'up',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--database-url',
      db.url,
      '--log-level',
      'info',
    ],
    {
      // The images are built before the test run (scripts/test-images.sh), not by this server.
      env: { ...process.env, PORTHOLE_ADMIN_PASSWORD: ADMIN.password, PORTHOLE_BUILD_IMAGES: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  up.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  up.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  await until(
    'porthole up to answer',
    async () => ((await fetch(`${base}/api/health`)).ok ? true : undefined),
    120_000,
  );

  // An administrator makes the integration's key in the Developers tab (here: its API).
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const key = await fetch(`${base}/api/admin/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: adminCookie },
    body: JSON.stringify({
      name: 'scenario',
      permissions: [
        'users_create',
        'users_delete',
        'users_auth_session',
        'sessions_view',
        'sessions_modify',
        'images_view',
      ],
    }),
  });
  credentials = (await key.json()) as typeof credentials;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (up && up.exitCode === null) {
    up.kill('SIGTERM');
    await new Promise((r) => up?.once('exit', r));
  }
  await rm(dataDir, { recursive: true, force: true });
  await db?.drop();
});

describe('developer API scenario on porthole up', () => {
  it('runs a user through a whole session with plain HTTP and a browser', async (ctx) => {
    const images = ((await ok('get_images')).images as Json[]) ?? [];
    const desktop = images.find((i) => i.porthole_name === 'desktop');
    expect(desktop).toBeDefined();
    // `porthole up` runs a local agent in-process; wait (as an operator would) for it to hold the image.
    const ready = await until(
      'the local agent to hold the desktop image',
      async () => {
        const res = await fetch(`${base}/api/admin/agents`, { headers: { cookie: adminCookie } });
        const agents = ((await res.json()) as { items: Array<{ status: string; images: Json[] }> }).items;
        const able = agents.some(
          (a) =>
            a.status === 'online' && a.images.some((i) => i.ref === desktop?.name && i.state === 'present'),
        );
        return able ? true : undefined;
      },
      120_000,
    ).catch(() => false);
    if (!ready) ctx.skip('porthole up has no online agent holding the desktop image');

    // 1. create user (a name of its own per attempt, so a retry of this test starts clean)
    const created = await ok('create_user', {
      target_user: {
        username: `scenario-${Date.now().toString(36)}@example.com`,
        first_name: 'Sam',
        last_name: 'Scenario',
      },
    });
    const userId = String((created.user as Json).user_id);

    // 2. request_kasm
    const requested = await ok('request_kasm', { user_id: userId, image_id: desktop?.image_id });
    const kasmId = String(requested.kasm_id);
    const kasmUrl = String(requested.kasm_url);
    // A failed attempt must not hold the agent's capacity when the retry asks for a session.
    ctx.onTestFailed(async () => {
      await kasm('destroy_kasm', { kasm_id: kasmId, user_id: userId }).catch(() => undefined);
    });

    // 3. poll get_kasm_status until running
    const running = await until(
      'the kasm to run',
      async () => {
        const s = await ok('get_kasm_status', { kasm_id: kasmId, user_id: userId });
        if (s.operational_status === 'error') throw new Error(String(s.operational_message));
        return s.operational_status === 'running' ? s : undefined;
      },
      120_000,
    );
    expect(running.operational_progress).toBe(100);

    // 4. open kasm_url in Chromium and see the desktop. Chromium aborts a navigation when another
    // test's container adds or removes a network interface (ERR_NETWORK_CHANGED); the request may
    // already have spent the one-time link, so an integrator's retry asks get_kasm_status for a new one.
    const context = await browser?.newContext(contextOptions());
    const page = await context?.newPage();
    if (!page) throw new Error('no browser page');
    let link = kasmUrl;
    for (let attempt = 1; ; attempt++) {
      try {
        await page.goto(`${base}${link}`);
        if (!page.url().startsWith('chrome-error')) break;
        throw new Error(`chrome-error page for ${link}`);
      } catch (err) {
        if (attempt >= 5 || !isNetworkBlip(err)) throw err;
        link = String((await ok('get_kasm_status', { kasm_id: kasmId, user_id: userId })).kasm_url);
      }
    }
    expect(new URL(page.url()).pathname).toMatch(/^\/sessions\/[0-9a-f-]{36}$/);
    const drawn = await until(
      'the desktop to be drawn',
      async () => {
        const colours = await page.evaluate(() => {
          const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="vnc-screen"] canvas');
          const c2d = canvas?.getContext('2d');
          if (!canvas || !c2d || canvas.width < 64 || canvas.height < 64) return 0;
          const { data } = c2d.getImageData(0, 0, canvas.width, canvas.height);
          const seen = new Set<number>();
          for (let i = 0; i < data.length; i += 4 * 97) {
            seen.add(((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0));
          }
          return seen.size;
        });
        return colours > 8 ? colours : undefined;
      },
      90_000,
    );
    expect(drawn).toBeGreaterThan(8);
    await page.screenshot({ path: 'test-results/kasm-scenario-desktop.png' }).catch(() => undefined);
    await context?.close();

    // 5. keepalive, pause, resume
    expect(await ok('keepalive', { kasm_id: kasmId })).toEqual({ usage_reached: false });
    await ok('pause_kasm', { kasm_id: kasmId });
    expect((await ok('get_kasm_status', { kasm_id: kasmId })).operational_status).toBe('paused');
    await ok('resume_kasm', { kasm_id: kasmId });
    expect((await ok('get_kasm_status', { kasm_id: kasmId })).operational_status).toBe('running');

    // 6. destroy, delete the user
    await ok('destroy_kasm', { kasm_id: kasmId, user_id: userId });
    expect((await ok('get_kasm_status', { kasm_id: kasmId })).operational_status).toBe('deleted');
    await ok('delete_user', { target_user: { user_id: userId } });
    expect((await kasm('get_user_kasms', { user_id: userId })).status).toBe(404);
  });
});
