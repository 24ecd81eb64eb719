import type { ImageView } from '@porthole/contracts';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SESSION_CAPABILITIES,
  SESSION_LABELS,
  SESSION_PIDS_LIMIT,
} from '../../packages/agent/src/sessions/container-spec.js';
import { createTestDatabase, type TestDatabase } from '../integration/support/database.js';
import { DOCKER_SOCKET, docker, FIREFOX_IMAGE, removeAgentContainers } from './support/images.js';
import { assertBuilt, stopAllChildren } from './support/processes.js';
import { rfbBanner } from './support/rfb.js';
import { AgentProcess, Plane, ServerProcess, type TestUser, waitState } from './support/stack.js';

/**
 * Scenario 6 — container hardening, read from Docker on a live Firefox session launched through
 * the product (server and agent as processes): not privileged, capabilities exactly CapDrop ALL
 * plus the documented CapAdd list, no-new-privileges, memory/CPU/pids limits set, no engine
 * socket inside (neither mounted nor present), and the one published port on 127.0.0.1 only.
 */
const CORES = 0.5;
const MEMORY_MB = 1024;

let db: TestDatabase;
let server: ServerProcess;
let agent: AgentProcess;
let plane: Plane;
let user: TestUser;
let sessionId = '';
let info: Docker.ContainerInspectInfo;

beforeAll(async () => {
  await assertBuilt();
  db = await createTestDatabase('rel_hardening');
  server = await ServerProcess.create({ databaseUrl: db.url });
  await server.start();
  plane = await new Plane(server.url, db.url).signInAdmin();
  agent = await AgentProcess.create({
    name: `hardening-${plane.run}`,
    serverUrl: server.url,
    token: await plane.registrationToken(),
    dockerSocket: DOCKER_SOCKET,
  });
  await agent.start();
  await plane.waitAgentReady(agent.agentId, [FIREFOX_IMAGE]);
  const firefox = await plane.workspace({
    name: `hardened-${plane.run}`,
    dockerImage: FIREFOX_IMAGE,
    cores: CORES,
    memoryMb: MEMORY_MB,
    shmMb: 256,
  });
  user = await plane.user('hardening');
  const launched = await user.api.expect<{ id: string }>(201, 'POST', '/api/sessions', {
    imageId: (firefox as ImageView).id,
  });
  sessionId = launched.id;
  await waitState(user.api, sessionId, 'running', 180_000);
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${SESSION_LABELS.session}=${sessionId}`] },
  });
  expect(list).toHaveLength(1);
  info = await docker.getContainer(list[0]?.Id ?? '').inspect();
}, 300_000);

afterAll(async () => {
  if (sessionId) await user?.api.delete(`/api/sessions/${sessionId}`).catch(() => undefined);
  if (agent?.agentId) await removeAgentContainers(agent.agentId);
  await agent?.cleanup();
  await server?.cleanup();
  await stopAllChildren();
  await db?.drop();
});

/** Runs a command in the session container as its user and returns its output. */
async function exec(cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const e = await docker.getContainer(info.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`exec ${cmd.join(' ')} did not finish`)), 30_000);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', reject);
  });
  // Docker multiplexes stdout/stderr in 8-byte-framed chunks: strip the frame headers.
  const raw = Buffer.concat(chunks);
  let output = '';
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    output += raw.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  const exitCode = (await e.inspect()).ExitCode ?? -1;
  return { exitCode, output };
}

describe('a live session container', () => {
  it('is not privileged and holds exactly the documented capabilities', () => {
    const host = info.HostConfig;
    expect(host.Privileged).toBe(false);
    expect(host.CapDrop).toEqual(['ALL']);
    expect([...(host.CapAdd ?? [])].sort()).toEqual([...SESSION_CAPABILITIES].sort());
    expect(host.SecurityOpt).toContain('no-new-privileges');
    // No extra devices, no host namespaces.
    expect(host.Devices ?? []).toEqual([]);
    expect(host.PidMode ?? '').toBe('');
    expect(host.IpcMode).not.toBe('host');
    expect(host.NetworkMode).not.toBe('host');
    expect(host.UsernsMode ?? '').toBe('');
  });

  it('runs as uid 1000 with no effective capabilities and cannot gain privileges', async () => {
    expect(info.Config.User).toBe('1000');
    const status = await exec(['sh', '-c', 'grep -E "^(Uid|CapEff|NoNewPrivs)" /proc/self/status']);
    expect(status.exitCode).toBe(0);
    expect(status.output).toMatch(/^Uid:\s+1000\s/m);
    expect(status.output).toMatch(/^CapEff:\s+0+$/m);
    expect(status.output).toMatch(/^NoNewPrivs:\s+1$/m);
  });

  it('has memory, CPU and pids limits set from the workspace', () => {
    const host = info.HostConfig;
    expect(host.Memory).toBe(MEMORY_MB * 1024 * 1024);
    expect(host.NanoCpus).toBe(CORES * 1e9);
    expect(host.PidsLimit).toBe(SESSION_PIDS_LIMIT);
    expect(host.ShmSize).toBe(256 * 1024 * 1024);
  });

  it('has no container engine socket inside', async () => {
    const sources = (info.Mounts ?? []).map((m) => `${m.Source ?? ''} -> ${m.Destination ?? ''}`);
    expect(sources.filter((s) => /docker\.sock|containerd|\/var\/run\b|\/run\b/.test(s))).toEqual([]);
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    const probe = await exec([
      'sh',
      '-c',
      'for f in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock; do [ -e "$f" ] && echo "$f"; done; true',
    ]);
    expect(probe.output.trim()).toBe('');
  });

  it('publishes its one port on 127.0.0.1 only', () => {
    const bindings = Object.entries(info.HostConfig.PortBindings ?? {});
    expect(bindings.map(([port]) => port)).toEqual(['6901/tcp']);
    for (const [, list] of bindings)
      for (const b of (list ?? []) as Array<{ HostIp: string }>) expect(b.HostIp).toBe('127.0.0.1');
    const live = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((list) => list ?? []);
    expect(live.length).toBeGreaterThan(0);
    for (const b of live) expect(b.HostIp).toBe('127.0.0.1');
  });

  it('streams only through the product: the proxy gives the owner the RFB banner', async () => {
    expect(await rfbBanner(user.api, sessionId)).toBe('RFB 003.008\n');
    // Someone else is refused at the proxy.
    const stranger = await plane.user('stranger');
    await expect(rfbBanner(stranger.api, sessionId, 10_000)).rejects.toThrow(/HTTP 404/);
  });
});
