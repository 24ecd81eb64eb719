import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningAgent, startAgent } from '@porthole/agent';
import { publicKeyFingerprint } from '@porthole/server';
import { GrantVerifier } from '@porthole/stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../support/http.js';
import { runPorthole } from '../support/cli.js';
import { query } from '../support/database.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestServer, type TestServer } from '../support/server.js';

// `porthole secrets …` as a child beside a running server on the same database, and a real agent
// (local Docker, no sessions) that must follow the rotation.
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
let t: TestServer;
let admin: ApiClient;
let agent: RunningAgent;
let stateDir: string;
let sessionId: string;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function storedPublicKey(): Promise<string> {
  const [row] = await query<{ value: string }>(
    t.database.url,
    `SELECT value #>> '{}' AS value FROM system_settings WHERE key = 'grant_signing_key'`,
  );
  if (!row) throw new Error('no grant signing key stored');
  return createPublicKey(createPrivateKey(row.value)).export({ type: 'spki', format: 'pem' }).toString();
}

/** The stream grant the server hands nginx for this session (as `auth_request` asks for it). */
async function streamGrant(): Promise<string> {
  const asProxy = new ApiClient(t.server.url, {
    headers: { 'x-original-uri': `/session/${sessionId}/websockify` },
  });
  asProxy.cookie = admin.cookie;
  const r = await asProxy.get('/api/internal/session-auth');
  expect(r.status, r.text).toBe(200);
  const grant = r.headers['x-porthole-grant'];
  if (typeof grant !== 'string') throw new Error('no grant header');
  return grant;
}

/** The agent's answer to a control call carrying `grant`: 401 when it refuses the grant. */
async function agentStatus(grant: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${agent.url}/v1/sessions/${sessionId}`, {
    headers: { authorization: `Bearer ${grant}` },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  t = await startTestServer({ checkinSeconds: 1 });
  admin = await new ApiClient(t.server.url).signIn(ADMIN_USERNAME, ADMIN_PASSWORD);
  const token = (await admin.get<{ token: string }>('/api/admin/agents/registration-token')).body.token;
  stateDir = await mkdtemp(join(tmpdir(), 'porthole-secrets-agent-'));
  agent = await startAgent(
    {
      serverUrl: t.server.url,
      token,
      name: `secrets-itest-${randomUUID().slice(0, 8)}`,
      listen: { host: '127.0.0.1', port: 0 },
      dockerHost: `unix://${SOCKET}`,
      stateDir,
      checkinIntervalSeconds: 1,
    },
    pino({ level: process.env.PORTHOLE_TEST_LOG ?? 'silent' }),
  );
  // A running session row on that agent, no container: enough for the server to issue its grants.
  // Its updated_at lies an hour ahead so the check-in reconciler's grace keeps it running meanwhile.
  const me = await admin.get<{ user: { id: string } }>('/api/auth/me');
  const imageId = randomUUID();
  sessionId = randomUUID();
  await query(
    t.database.url,
    `INSERT INTO images (id, name, friendly_name, docker_image, cores, memory_mb)
     VALUES ($1, $2, 'Secrets test image', 'none/none:never-pulled', 0.1, 64)`,
    [imageId, `secrets-${imageId.slice(0, 8)}`],
  );
  await query(
    t.database.url,
    `INSERT INTO sessions (id, user_id, image_id, agent_id, state, cores, memory_mb, running_at, updated_at)
     VALUES ($1, $2, $3, $4, 'running', 0.1, 64, now(), now() + interval '1 hour')`,
    [sessionId, me.body.user.id, imageId, agent.agentId],
  );
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await t?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('porthole secrets', () => {
  it('rotates the grant key: the running server signs with the new key and agents refuse the old one', async () => {
    const oldPublicKey = await storedPublicKey();
    expect(t.server.services.grants.publicKeyPem).toBe(oldPublicKey);
    const oldStream = await streamGrant();
    const oldControl = t.server.services.grants.issue(
      { aud: agent.agentId, sid: sessionId, act: 'control' },
      30,
    );
    // Before: the agent takes the server's grant (the session has no container here: 404, not 401).
    expect((await agentStatus(oldControl)).status).toBe(404);

    const r = await runPorthole(['secrets', 'rotate-grant-key', '--database-url', t.database.url]);
    expect(r.code, r.stderr).toBe(0);
    const newPublicKey = await storedPublicKey();
    expect(newPublicKey).not.toBe(oldPublicKey);
    expect(r.stdout).toContain(`public key ${publicKeyFingerprint(newPublicKey)}\n`);
    expect(r.stdout).not.toContain('PRIVATE KEY');

    // The running server loads it without a restart (its grant-key loop runs every 2 s).
    await until('the server to load the new key', async () =>
      t.server.services.grants.publicKeyPem === newPublicKey ? true : undefined,
    );
    const verifier = new GrantVerifier(newPublicKey, agent.agentId);
    const want = { sessionId, action: 'stream' as const };
    expect(verifier.check(oldStream, want)).toEqual({ ok: false, reason: 'bad grant signature' });
    const newStream = await streamGrant();
    expect(verifier.check(newStream, want)).toMatchObject({
      ok: true,
      grant: { sid: sessionId, act: 'stream' },
    });

    // The agent takes the new public key from its next check-in and saves it; old grants are refused.
    await until('the agent to refuse the old key', async () =>
      (await agentStatus(oldControl)).status === 401 ? true : undefined,
    );
    expect((await agentStatus(oldControl)).text).toContain('bad grant signature');
    const newControl = t.server.services.grants.issue(
      { aud: agent.agentId, sid: sessionId, act: 'control' },
      30,
    );
    expect((await agentStatus(newControl)).status).toBe(404);
    const identity = JSON.parse(await readFile(join(stateDir, 'agent.json'), 'utf8')) as {
      grantPublicKey: string;
    };
    expect(identity.grantPublicKey).toBe(newPublicKey);
  }, 60_000);

  it('rotates the registration token and prints the new one', async () => {
    const before = (await admin.get<{ token: string }>('/api/admin/agents/registration-token')).body.token;
    const r = await runPorthole(['secrets', 'rotate-registration-token', '--database-url', t.database.url]);
    expect(r.code, r.stderr).toBe(0);
    const after = (await admin.get<{ token: string }>('/api/admin/agents/registration-token')).body.token;
    expect(after).not.toBe(before);
    expect(r.stdout).toBe(`${after}\n`);
    const refused = await fetch(`${t.server.url}/api/agent/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: before, name: 'late-agent', url: 'http://127.0.0.1:1', version: 'test' }),
    });
    expect(refused.status).toBe(401);
  }, 60_000);

  it('refuses a check-in with a real agent id and a wrong secret (the server keeps only its SHA-256)', async () => {
    const [row] = await query<{ secret_hash: Buffer }>(
      t.database.url,
      'SELECT secret_hash FROM agents WHERE id = $1',
      [agent.agentId],
    );
    expect(row?.secret_hash).toHaveLength(32);
    const res = await fetch(`${t.server.url}/api/agent/checkin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Agent ${agent.agentId}:not-the-secret` },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });

  it('rejects an unknown action with exit 2 and the usage', async () => {
    const r = await runPorthole(['secrets', 'rotate-everything', '--database-url', t.database.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^porthole secrets: expected 'rotate-grant-key' or 'rotate-registration-token'/);
  });
});
