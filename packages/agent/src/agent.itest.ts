import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrantSigner } from '@porthole/stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from './agent.js';
import { DockerRuntime } from './runtime/docker-runtime.js';
import { agentApi, createBody } from './testkit/agent-api.js';
import { rawInspect } from './testkit/docker-api.js';
import { FakeControlPlane } from './testkit/fake-control-plane.js';
import { ensureSessionTestImage } from './testkit/session-image.js';

/**
 * The agent in-process against real Docker and a fake control plane: registration, check-ins,
 * the session lifecycle through the API with grants, removal on the server's word, reconcile
 * after a restart, and readiness against a real workspace image when one is built.
 */
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const RUN = randomUUID().slice(0, 8);
const WORKSPACE_IMAGE = process.env.PORTHOLE_TEST_WORKSPACE_IMAGE ?? 'porthole/desktop:latest';
const runtime = new DockerRuntime(`unix://${SOCKET}`);
const signer = new GrantSigner(GrantSigner.generatePrivateKeyPem());
const forger = new GrantSigner(GrantSigner.generatePrivateKeyPem());
const TOKEN = `token-${RUN}`;
const plane = new FakeControlPlane({ token: TOKEN, grantPublicKey: signer.publicKeyPem });
const logger = pino({ level: process.env.PORTHOLE_TEST_LOG ?? 'silent' });
const workspacePresent = await runtime.imagePresent(WORKSPACE_IMAGE).catch(() => false);
let image = '';
let stateDir = '';
let agent: RunningAgent;
let api: ReturnType<typeof agentApi>;

function config() {
  return {
    serverUrl: plane.url,
    token: TOKEN,
    name: `itest-${RUN}`,
    listen: { host: '127.0.0.1', port: 0 },
    dockerHost: `unix://${SOCKET}`,
    stateDir,
    checkinIntervalSeconds: 1,
  };
}

const sid = (name: string) => `${RUN}-${name}`;
const sign = (grant: { aud: string; sid: string; act: 'create' | 'control' | 'stream' }) =>
  signer.issue(grant, 60);

async function ours(sessionId?: string) {
  return runtime.list({
    labels: {
      'io.porthole.agent': agent.agentId,
      ...(sessionId ? { 'io.porthole.session': sessionId } : { 'io.porthole.session': true }),
    },
  });
}

beforeAll(async () => {
  image = await ensureSessionTestImage(runtime);
  await plane.start();
  stateDir = await mkdtemp(join(tmpdir(), `porthole-agent-${RUN}-`));
  agent = await startAgent(config(), logger);
  api = agentApi(agent.url, agent.agentId, sign);
});

afterAll(async () => {
  await agent?.close();
  if (agent) await Promise.all((await ours()).map((c) => runtime.remove(c.id, { force: true })));
  await plane.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('agent against real Docker', () => {
  it('registers once and keeps its identity in agent.json, mode 0600', async () => {
    expect(plane.registrations).toHaveLength(1);
    expect(plane.registrations[0]).toMatchObject({ name: `itest-${RUN}`, url: agent.url, token: TOKEN });
    const file = join(stateDir, 'agent.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ agentId: agent.agentId });
    const health = await fetch(new URL('/v1/health', agent.url));
    expect(await health.json()).toEqual({ agentId: agent.agentId, version: expect.any(String) });
  });

  it('checks in with the host and Docker facts the server schedules on', async () => {
    const body = await plane.waitForCheckin(agent.agentId, () => true);
    expect(body.resources.cores).toBeGreaterThan(0);
    expect(body.resources.memoryBytes).toBeGreaterThan(body.resources.memoryFreeBytes);
    expect(body.resources.diskFreeBytes).toBeGreaterThan(0);
    expect(body.resources.dockerVersion).toMatch(/^\d+\./);
    expect(plane.rejected).toEqual([]);
  });

  it('runs a session through create → pause → resume → stop → resume → delete with grants', async () => {
    const id = sid('life');
    const created = await api.create(createBody(id, image));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ sessionId: id, state: 'running' });
    const containerId = String(created.json.containerId);
    const hostPort = Number(created.json.hostPort);
    expect(hostPort).toBeGreaterThan(0);

    // Limits and hardening as Docker sees them; 6901 on loopback only.
    const raw = await rawInspect(SOCKET, containerId);
    const host = raw.HostConfig as Record<string, unknown>;
    expect(host).toMatchObject({
      NanoCpus: 0.5e9,
      Memory: 256 * 1024 * 1024,
      MemorySwap: 256 * 1024 * 1024,
      ShmSize: 64 * 1024 * 1024,
      PidsLimit: 1024,
      Privileged: false,
      CapDrop: ['ALL'],
    });
    expect(host.SecurityOpt).toContain('no-new-privileges');
    const bindings = (raw.NetworkSettings as { Ports: Record<string, Array<{ HostIp: string }> | null> })
      .Ports;
    expect(bindings['6901/tcp']?.length).toBeGreaterThan(0);
    for (const binding of bindings['6901/tcp'] ?? []) expect(binding.HostIp).toBe('127.0.0.1');
    // httpd starts a moment after the container does.
    const page = () =>
      fetch(`http://127.0.0.1:${hostPort}/`).then(
        (r) => r.text(),
        () => '',
      );
    await expect.poll(page, { timeout: 10_000 }).toContain('porthole busybox');

    // The password is the agent's own, in the container and in the registry, never in the answer.
    const env = (raw.Config as { Env: string[] }).Env;
    const password = env.find((e) => e.startsWith('VNC_PW='))?.slice('VNC_PW='.length);
    expect(password?.length).toBeGreaterThanOrEqual(24);
    expect(agent.sessions.target(id)).toEqual({ containerId, hostPort, vncPassword: password });
    expect(JSON.stringify(created.json)).not.toContain(password);

    const reported = await plane.waitForCheckin(agent.agentId, (b) =>
      b.sessions.some((s) => s.sessionId === id && s.state === 'running'),
    );
    expect(reported.sessions.find((s) => s.sessionId === id)).toMatchObject({ containerId, hostPort });

    expect((await api.session('POST', id, '/pause')).json.state).toBe('paused');
    await plane.waitForCheckin(agent.agentId, (b) =>
      b.sessions.some((s) => s.sessionId === id && s.state === 'paused'),
    );
    expect((await api.session('POST', id, '/resume')).json.state).toBe('running');
    const exec = await api.session('POST', id, '/exec', { cmd: 'echo "$PORTHOLE_SESSION_ID"' });
    expect(exec.json).toMatchObject({ exitCode: 0, output: `${id}\n` });
    const stopped = await api.session('POST', id, '/stop');
    expect(stopped.json).toMatchObject({ state: 'exited', hostPort: null });
    const resumed = await api.session('POST', id, '/resume');
    expect(resumed.json.state).toBe('running');
    expect((await api.session('GET', id)).json).toMatchObject({ containerId, state: 'running' });

    expect((await api.session('DELETE', id)).status).toBe(204);
    expect(await runtime.inspect(containerId)).toBeNull();
    expect((await api.session('DELETE', id)).status).toBe(204);
    await plane.waitForCheckin(agent.agentId, (b) => !b.sessions.some((s) => s.sessionId === id));
  });

  it('refuses forged, expired, other-session and other-agent grants with 401 and creates nothing', async () => {
    const id = sid('grants');
    const body = createBody(id, image);
    const attempts = [
      `Bearer ${forger.issue({ aud: agent.agentId, sid: id, act: 'create' }, 60)}`,
      `Bearer ${signer.issue({ aud: agent.agentId, sid: id, act: 'create' }, -10)}`,
      `Bearer ${signer.issue({ aud: agent.agentId, sid: sid('other'), act: 'create' }, 60)}`,
      `Bearer ${signer.issue({ aud: randomUUID(), sid: id, act: 'create' }, 60)}`,
      `Bearer ${signer.issue({ aud: agent.agentId, sid: id, act: 'control' }, 60)}`,
      null,
    ];
    for (const authorization of attempts) {
      const res = await api.call('POST', '/v1/sessions', { sid: id, body, authorization });
      expect(res.status).toBe(401);
      expect(res.error?.code).toBe('unauthorized');
    }
    expect(await ours(id)).toEqual([]);
  });

  it('answers bad requests with a 400 naming the field and leaves nothing half-created', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ image: { ref: `porthole/not-here-${RUN}:latest`, name: 'x' } }, 'image.ref'],
      [{ memoryBytes: 1024 ** 5 }, 'memoryBytes'],
      [{ cores: 'two' }, 'cores'],
      [{ volumes: [{ source: '/var/run/docker.sock', target: '/sock' }] }, 'volumes[0].source'],
      [{ network: 'host' }, 'network'],
    ];
    for (const [extra, field] of cases) {
      const id = sid(`bad-${field.replace(/\W/g, '')}`);
      const res = await api.create(createBody(id, image, extra));
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.error?.details?.field).toBe(field);
      expect(res.error?.message).toContain(field);
      expect(await ours(id)).toEqual([]);
    }
    // A start failure (a network that does not exist) removes the created container.
    const id = sid('nonet');
    const res = await api.create(createBody(id, image, { network: `porthole-missing-${RUN}` }));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.error?.message).toMatch(/network/i);
    expect(await ours(id)).toEqual([]);
  });

  it('is idempotent on sessionId', async () => {
    const id = sid('twice');
    const [a, b] = await Promise.all([api.create(createBody(id, image)), api.create(createBody(id, image))]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.json.containerId).toBe(b.json.containerId);
    expect(await ours(id)).toHaveLength(1);
    await api.session('DELETE', id);
  });

  it('reports a container that died and removes one the server no longer knows', async () => {
    const dies = sid('dies');
    const gone = sid('gone');
    const died = await api.create(createBody(dies, image));
    const removed = await api.create(createBody(gone, image));
    await runtime.stop(String(died.json.containerId), 0);
    const report = await plane.waitForCheckin(agent.agentId, (b) =>
      b.sessions.some((s) => s.sessionId === dies && s.state === 'exited'),
    );
    expect(report.sessions.find((s) => s.sessionId === dies)?.exitCode).not.toBeNull();

    plane.removeSessions = [gone];
    await expect
      .poll(() => runtime.inspect(String(removed.json.containerId)), { timeout: 15_000 })
      .toBeNull();
    await plane.waitForCheckin(agent.agentId, (b) => !b.sessions.some((s) => s.sessionId === gone));
    plane.removeSessions = [];
    await api.session('DELETE', dies);
  });

  it('keeps serving while the server is down and reports everything when it is back', async () => {
    const id = sid('outage');
    plane.down = true;
    const downSince = Date.now();
    try {
      const created = await api.create(createBody(id, image));
      expect(created.status).toBe(201);
      // Let a few check-ins fail (backoff 1 s, 2 s, …).
      await new Promise((r) => setTimeout(r, 2_500));
      expect(plane.checkinsOf(agent.agentId).filter((c) => c.at >= downSince)).toEqual([]);
    } finally {
      plane.down = false;
    }
    const back = await plane.waitForCheckin(
      agent.agentId,
      (b) => b.sessions.some((s) => s.sessionId === id && s.state === 'running'),
      40_000,
    );
    expect(back.sessions.find((s) => s.sessionId === id)?.hostPort).toBeGreaterThan(0);
    await api.session('DELETE', id);
  });

  it('says 504 when a container never answers RFB', async () => {
    const id = sid('norfb');
    await api.create(createBody(id, image));
    const started = Date.now();
    const res = await api.session('GET', id, '/ready?timeoutMs=1500');
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(10_000);
    await api.session('DELETE', id);
  });

  it('after a restart, rebuilds its sessions (passwords included) from Docker without registering again', async () => {
    const id = sid('restart');
    const created = await api.create(createBody(id, image));
    const before = agent.sessions.target(id);
    await agent.close();
    agent = await startAgent(config(), logger);
    api = agentApi(agent.url, agent.agentId, sign);
    expect(plane.registrations).toHaveLength(1);
    expect(agent.sessions.target(id)).toEqual(before);
    expect((await api.session('GET', id)).json.containerId).toBe(created.json.containerId);
    await api.session('DELETE', id);
  });
});

describe.skipIf(!workspacePresent && !process.env.CI)(`readiness with ${WORKSPACE_IMAGE}`, () => {
  it('answers 200 with readyMs once websockify speaks RFB', async () => {
    const id = sid('desktop');
    const created = await api.create(
      createBody(id, WORKSPACE_IMAGE, { cores: 1, memoryBytes: 1024 ** 3, shmBytes: 256 * 1024 ** 2 }),
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const ready = await api.session('GET', id, '/ready?timeoutMs=60000');
    expect(ready.status, JSON.stringify(ready.json)).toBe(200);
    expect(ready.json.readyMs).toBeGreaterThan(0);
    await api.session('DELETE', id);
  });
});

if (!workspacePresent) {
  console.warn(`readiness test skipped: ${WORKSPACE_IMAGE} is not built (porthole images build)`);
}
