import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GrantSigner } from '@porthole/stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from './agent.js';
import type { AgentConfig } from './config.js';
import { agentApi, createBody } from './testkit/agent-api.js';
import { FakeControlPlane } from './testkit/fake-control-plane.js';
import { MemoryRuntime } from './testkit/memory-runtime.js';

const logger = pino({ level: 'silent' });
const IMAGE = 'porthole/desktop:latest';
const host = {
  cores: () => 4,
  memoryBytes: () => 8 * 1024 ** 3,
  memoryFreeBytes: () => 4 * 1024 ** 3,
  load1: () => 0.25,
  diskFreeBytes: async () => 50e9,
};

let signer: GrantSigner;
let plane: FakeControlPlane;
let runtime: MemoryRuntime;
let stateDir: string;
let agent: RunningAgent | null = null;

function config(): AgentConfig {
  return {
    serverUrl: plane.url,
    token: 'tok',
    name: 'unit-agent',
    listen: { host: '127.0.0.1', port: 0 },
    stateDir,
    checkinIntervalSeconds: 1,
  };
}

beforeEach(async () => {
  signer = new GrantSigner(GrantSigner.generatePrivateKeyPem());
  // A long interval: any check-in inside a test was triggered, not scheduled.
  plane = new FakeControlPlane({
    token: 'tok',
    grantPublicKey: signer.publicKeyPem,
    checkinIntervalSeconds: 300,
  });
  await plane.start();
  runtime = new MemoryRuntime();
  runtime.images.add(IMAGE);
  stateDir = await mkdtemp(join(tmpdir(), 'porthole-agent-unit-'));
});

/** Waits until `agentId` has checked in more than `count` times. */
async function checkedIn(agentId: string, count = 0): Promise<void> {
  await expect.poll(() => plane.checkinsOf(agentId).length, { timeout: 5_000 }).toBeGreaterThan(count);
}

afterEach(async () => {
  await agent?.close();
  agent = null;
  await plane.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('startAgent', () => {
  it('checks in at once with resources, sessions and images, per the contract', async () => {
    plane.images = [IMAGE];
    agent = await startAgent(config(), logger, { runtime, host });
    await checkedIn(agent.agentId);
    const body = plane.checkinsOf(agent.agentId)[0]?.body;
    expect(body?.images).toEqual([]);
    expect(body?.resources).toMatchObject({
      cores: 4,
      memoryBytes: 8 * 1024 ** 3,
      memoryFreeBytes: 4 * 1024 ** 3,
      load1: 0.25,
      diskFreeBytes: 50e9,
      dockerVersion: '27.0.0-memory',
    });
    expect(plane.rejected).toEqual([]);
  });

  it('after the event stream comes back, reconciles and checks in without waiting for the interval', async () => {
    agent = await startAgent(config(), logger, { runtime, host });
    const api = agentApi(agent.url, agent.agentId, (g) => signer.issue(g, 60));
    const created = await api.create(createBody('s1', IMAGE));
    expect(created.status).toBe(201);
    await checkedIn(agent.agentId);
    // The daemon restarted: the container died while nobody was listening.
    runtime.crash(String(created.json.containerId), 255, { silently: true });
    expect(agent.sessions.get('s1')?.state).toBe('running');
    runtime.reconnect();
    const body = await plane.waitForCheckin(
      agent.agentId,
      (b) => b.sessions.some((s) => s.sessionId === 's1' && s.state === 'exited'),
      5_000,
    );
    expect(body.sessions[0]).toMatchObject({ exitCode: 255, hostPort: null });
  });

  it('follows a grant key rotation and keeps it across a restart', async () => {
    agent = await startAgent(config(), logger, { runtime, host });
    const agentId = agent.agentId;
    await checkedIn(agentId);
    const rotated = new GrantSigner(GrantSigner.generatePrivateKeyPem());
    plane.grantPublicKey = rotated.publicKeyPem;
    await agent.close();
    const before = plane.checkinsOf(agentId).length;
    agent = await startAgent(config(), logger, { runtime, host });
    await checkedIn(agentId, before);
    await expect
      .poll(async () => JSON.parse(await readFile(join(stateDir, 'agent.json'), 'utf8')).grantPublicKey)
      .toBe(rotated.publicKeyPem);
    const byNew = agentApi(agent.url, agentId, (g) => rotated.issue(g, 60));
    const byOld = agentApi(agent.url, agentId, (g) => signer.issue(g, 60));
    expect((await byOld.create(createBody('s2', IMAGE))).status).toBe(401);
    expect((await byNew.create(createBody('s2', IMAGE))).status).toBe(201);
    expect(plane.registrations).toHaveLength(1);
  });

  it('removes what the server no longer knows and pulls what it wants', async () => {
    plane.checkinIntervalSeconds = 1;
    agent = await startAgent(config(), logger, { runtime, host });
    const api = agentApi(agent.url, agent.agentId, (g) => signer.issue(g, 60));
    const created = await api.create(createBody('old', IMAGE));
    plane.removeSessions = ['old'];
    plane.images = [IMAGE, 'reg.example/new:1'];
    await expect
      .poll(() => runtime.containers.has(String(created.json.containerId)), { timeout: 5_000 })
      .toBe(false);
    await expect.poll(() => runtime.images.has('reg.example/new:1'), { timeout: 5_000 }).toBe(true);
    expect(agent.sessions.get('old')).toBeUndefined();
    expect(runtime.calls.filter((c) => c.startsWith('pull'))).toEqual(['pull reg.example/new:1']);
  });

  it('serves its API over HTTPS with --tls-cert/--tls-key', async () => {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=agent',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(stateDir, 'key.pem'),
      '-out',
      join(stateDir, 'cert.pem'),
    ]);
    const cert = await readFile(join(stateDir, 'cert.pem'), 'utf8');
    const key = await readFile(join(stateDir, 'key.pem'), 'utf8');
    agent = await startAgent({ ...config(), tls: { cert, key } }, logger, { runtime, host });
    expect(agent.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await new Promise<string>((resolve, reject) => {
      get(new URL('/v1/health', agent?.url), { ca: cert }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(health)).toMatchObject({ agentId: agent.agentId });
  });
});
