import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GrantSigner } from '@porthole/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from './runtime/docker-runtime.js';
import { agentApi, createBody } from './testkit/agent-api.js';
import { FakeControlPlane } from './testkit/fake-control-plane.js';
import { freePort } from './testkit/local-registry.js';
import { ensureSessionTestImage } from './testkit/session-image.js';

/**
 * `porthole agent` as a real process: a refused token is one line and exit 1; SIGKILL with two
 * running sessions and a restart loses and duplicates nothing, and the identity is reused.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/porthole.js');
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const RUN = randomUUID().slice(0, 8);
const TOKEN = `token-${RUN}`;
const runtime = new DockerRuntime(`unix://${SOCKET}`);
const signer = new GrantSigner(GrantSigner.generatePrivateKeyPem());
const plane = new FakeControlPlane({ token: TOKEN, grantPublicKey: signer.publicKeyPem });
const children = new Set<ChildProcess>();
const agentIds = new Set<string>();
let image = '';
let stateDir = '';

interface AgentProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function startProcess(args: string[]): AgentProcess {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PORTHOLE_AGENT_')) env[key] = value;
  }
  const child = spawn(process.execPath, [BIN, 'agent', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const stdout: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, stdout, stderr: () => stderr, exited };
}

beforeAll(async () => {
  // The child runs the built CLI.
  await promisify(execFile)('npx', ['tsc', '-b'], { cwd: ROOT });
  image = await ensureSessionTestImage(runtime);
  await plane.start();
  stateDir = await mkdtemp(join(tmpdir(), `porthole-agent-proc-${RUN}-`));
});

afterAll(async () => {
  for (const child of children) {
    const pid = child.pid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  }
  for (const agentId of agentIds) {
    const leftovers = await runtime.list({ labels: { 'io.porthole.agent': agentId } });
    await Promise.all(leftovers.map((c) => runtime.remove(c.id, { force: true })));
  }
  await plane.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('porthole agent (process)', () => {
  it('says in one line that the token was refused, and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), `porthole-agent-bad-${RUN}-`));
    try {
      const agent = startProcess([
        '--server-url',
        plane.url,
        '--token',
        'wrong-token',
        '--listen',
        '127.0.0.1:0',
        '--state-dir',
        dir,
      ]);
      expect(await agent.exited).toBe(1);
      const lines = agent.stderr().trim().split('\n');
      expect(lines).toEqual([
        'porthole agent: the server refused the registration token (HTTP 401); check --token',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('survives kill -9 with two running sessions: same containers, same ids, none duplicated', async () => {
    const port = await freePort();
    const args = [
      '--server-url',
      plane.url,
      '--token',
      TOKEN,
      '--name',
      `proc-${RUN}`,
      '--listen',
      `127.0.0.1:${port}`,
      '--state-dir',
      stateDir,
      '--checkin-interval',
      '1',
      '--docker-host',
      `unix://${SOCKET}`,
    ];
    const first = startProcess(args);
    const identityFile = join(stateDir, 'agent.json');
    await expect
      .poll(
        () =>
          readFile(identityFile).then(
            () => true,
            () => false,
          ),
        { timeout: 20_000 },
      )
      .toBe(true);
    expect(plane.registrations).toHaveLength(1);
    const identity = JSON.parse(await readFile(identityFile, 'utf8')) as { agentId: string };
    const agentId = identity.agentId;
    agentIds.add(agentId);
    const api = agentApi(`http://127.0.0.1:${port}`, agentId, (g) => signer.issue(g, 60));

    const ids = [`${RUN}-one`, `${RUN}-two`];
    const containers = new Map<string, string>();
    for (const id of ids) {
      const created = await api.create(createBody(id, image));
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      containers.set(id, String(created.json.containerId));
    }
    const running = (sessions: Array<{ sessionId: string; state: string }>) =>
      ids.every((id) => sessions.some((s) => s.sessionId === id && s.state === 'running'));
    await plane.waitForCheckin(agentId, (b) => running(b.sessions));

    first.child.kill('SIGKILL');
    await first.exited;
    const survivors = await runtime.list({ labels: { 'io.porthole.agent': agentId } });
    expect(survivors.map((c) => c.state)).toEqual(['running', 'running']);

    const second = startProcess(args);
    const after = await plane.waitForCheckin(agentId, (b) => running(b.sessions), 30_000);
    const reported = new Map(after.sessions.map((s) => [s.sessionId, s.containerId]));
    expect(reported).toEqual(containers);
    expect(plane.registrations).toHaveLength(1);
    const all = await runtime.list({ labels: { 'io.porthole.agent': agentId } });
    expect(all.map((c) => c.id).sort()).toEqual([...containers.values()].sort());

    // The restarted agent knows them: state, exec and removal work through its API.
    for (const id of ids) {
      expect((await api.session('GET', id)).json).toMatchObject({
        containerId: containers.get(id),
        state: 'running',
      });
    }
    const exec = await api.session('POST', ids[0] ?? '', '/exec', { cmd: 'echo -n "$VNC_PW"' });
    const password = String(exec.json.output);
    expect(password.length, JSON.stringify(exec.json)).toBeGreaterThanOrEqual(24);

    // Every log line about a session container names both ids.
    const lines = [...first.stdout, ...second.stdout]
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const aboutContainers = lines.filter((l) => /session container/.test(String(l.msg)));
    expect(aboutContainers.length).toBeGreaterThan(0);
    for (const line of aboutContainers) {
      expect(line, JSON.stringify(line)).toMatchObject({
        sessionId: expect.any(String),
        containerId: expect.any(String),
      });
    }
    // …and none carries a session's password.
    expect([...first.stdout, ...second.stdout].some((line) => line.includes(password))).toBe(false);

    for (const id of ids) expect((await api.session('DELETE', id)).status).toBe(204);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(plane.rejected).toEqual([]);
  });
});
