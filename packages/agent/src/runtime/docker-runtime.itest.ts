import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSessionContainerSpec } from '../sessions/container-spec.js';
import { ensureBusyboxImage } from '../testkit/busybox-image.js';
import type { ContainerCreateSpec, ContainerEvent } from './container-runtime.js';
import { RuntimeError } from './container-runtime.js';
import { createAndStart } from './create-and-start.js';
import { DockerRuntime } from './docker-runtime.js';

const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const RUN = randomUUID().slice(0, 8);
const TEST_LABEL = 'io.porthole.test-run';
const MiB = 1024 * 1024;

const runtime = new DockerRuntime(`unix://${SOCKET}`);
const docker = new Docker({ socketPath: SOCKET });
let image = '';

/** A real session spec (the hardening under test), running busybox httpd on 6901. */
function sessionSpec(
  sessionId: string,
  cmd = ['httpd', '-f', '-p', '6901', '-h', '/www'],
): ContainerCreateSpec {
  const spec = buildSessionContainerSpec({
    sessionId: `${RUN}-${sessionId}`,
    ownerId: 'owner-1',
    agentId: `agent-${RUN}`,
    image: { ref: image, name: 'busybox' },
    vncPassword: 'pw-123456',
    cores: 0.5,
    memoryBytes: 64 * MiB,
    shmBytes: 16 * MiB,
  });
  return { ...spec, cmd, labels: { ...spec.labels, [TEST_LABEL]: RUN } };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

beforeAll(async () => {
  image = await ensureBusyboxImage(runtime);
});

afterAll(async () => {
  const leftovers = await runtime.list({ labels: { [TEST_LABEL]: RUN } });
  await Promise.all(leftovers.map((c) => runtime.remove(c.id, { force: true })));
});

describe('DockerRuntime against the real engine', () => {
  it('pings and reports the engine', async () => {
    await runtime.ping();
    const info = await runtime.info();
    expect(info.cores).toBeGreaterThan(0);
    expect(info.memoryBytes).toBeGreaterThan(0);
    expect(info.dockerVersion).toMatch(/^\d+\./);
    expect(info.dataRoot).toMatch(/^\//);
    expect(await runtime.imagePresent(image)).toBe(true);
    expect(await runtime.imagePresent('porthole/does-not-exist:nope')).toBe(false);
    const images = await runtime.listImages();
    expect(images.some((i) => i.repoTags.includes(image))).toBe(true);
  });

  it('walks create → running → paused → running → exited → removed', async () => {
    const { containerId } = await runtime.create(sessionSpec('lifecycle'));
    expect((await runtime.inspect(containerId))?.state).toBe('created');
    await runtime.start(containerId);
    await runtime.start(containerId); // idempotent
    const running = await runtime.inspect(containerId);
    expect(running?.state).toBe('running');
    expect(running?.startedAt).not.toBeNull();
    expect(running?.exitCode).toBeNull();
    await runtime.pause(containerId);
    expect((await runtime.inspect(containerId))?.state).toBe('paused');
    await expect(runtime.pause(containerId)).rejects.toMatchObject({ code: 'conflict' });
    await runtime.unpause(containerId);
    expect((await runtime.inspect(containerId))?.state).toBe('running');
    await runtime.stop(containerId, 1);
    await runtime.stop(containerId, 1); // idempotent
    const exited = await runtime.inspect(containerId);
    expect(exited?.state).toBe('exited');
    expect(exited?.exitCode).not.toBeNull();
    await runtime.remove(containerId, { force: false });
    expect(await runtime.inspect(containerId)).toBeNull();
    await runtime.remove(containerId, { force: false }); // idempotent
    await expect(runtime.start(containerId)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('applies the limits and hardening, publishing 6901 on loopback only', async () => {
    const { containerId } = await createAndStart(runtime, sessionSpec('limits'));
    const info = await runtime.inspect(containerId);
    expect(info?.limits).toEqual({ memoryBytes: 64 * MiB, nanoCpus: 500_000_000, pidsLimit: 1024 });
    expect(info?.labels['io.porthole.session']).toBe(`${RUN}-limits`);
    const raw = await docker.getContainer(containerId).inspect();
    expect(raw.HostConfig.Privileged).toBe(false);
    expect(raw.HostConfig.CapDrop).toEqual(['ALL']);
    expect(raw.HostConfig.CapAdd).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID', 'KILL']);
    expect(raw.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
    expect(raw.HostConfig.ShmSize).toBe(16 * MiB);
    expect(raw.HostConfig.MemorySwap).toBe(64 * MiB);
    expect(raw.Config.Env).toEqual(expect.arrayContaining(['VNC_PW=pw-123456', `KASM_ID=${RUN}-limits`]));
    const bindings = raw.NetworkSettings.Ports['6901/tcp'] ?? [];
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) expect(binding.HostIp).toBe('127.0.0.1');
    const port = info?.rfbHostPort ?? 0;
    expect(port).toBeGreaterThan(0);
    expect(String(port)).toBe(bindings[0]?.HostPort);
    await expect.poll(() => canConnect('127.0.0.1', port), { timeout: 10_000 }).toBe(true);
    const response = await fetch(`http://127.0.0.1:${port}/index.html`);
    expect(await response.text()).toBe('porthole busybox\n');
    // Not reachable on another local address of this host.
    expect(await canConnect('127.0.0.2', port)).toBe(false);
    // no-new-privileges is in force inside the container.
    const status = await runtime.exec(containerId, { cmd: ['grep', 'NoNewPrivs', '/proc/self/status'] });
    expect(status.output).toMatch(/NoNewPrivs:\s+1/);
  });

  it('lists only containers carrying the selected labels', async () => {
    const { containerId: ours } = await runtime.create(sessionSpec('list-a'));
    const foreign = await docker.createContainer({
      Image: image,
      Cmd: ['sleep', '60'],
      Labels: { [TEST_LABEL]: RUN },
    });
    try {
      const agentSelector = { 'io.porthole.agent': `agent-${RUN}`, 'io.porthole.session': true } as const;
      const listed = await runtime.list({ labels: agentSelector });
      const ids = listed.map((c) => c.id);
      expect(ids).toContain(ours);
      expect(ids).not.toContain(foreign.id);
      for (const c of listed) expect(c.labels['io.porthole.agent']).toBe(`agent-${RUN}`);
      const one = await runtime.list({ labels: { 'io.porthole.session': `${RUN}-list-a` } });
      expect(one.map((c) => c.id)).toEqual([ours]);
      await expect(runtime.list({ labels: {} })).rejects.toThrow(/at least one label/);
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it('execs with env, workdir and user and returns output and exit code', async () => {
    const { containerId } = await createAndStart(runtime, sessionSpec('exec'));
    const ok = await runtime.exec(containerId, {
      cmd: ['sh', '-c', 'echo "$GREETING from $(pwd) as $(id -u)"; echo oops >&2'],
      env: { GREETING: 'hello' },
      workdir: '/tmp',
      user: '1000',
    });
    expect(ok.exitCode).toBe(0);
    expect(ok.output).toContain('hello from /tmp as 1000');
    expect(ok.output).toContain('oops');
    const failed = await runtime.exec(containerId, { cmd: ['sh', '-c', 'exit 7'] });
    expect(failed.exitCode).toBe(7);
    const big = await runtime.exec(containerId, {
      cmd: ['sh', '-c', 'yes x | head -c 100000'],
      maxOutputBytes: 1000,
    });
    expect(big.output.length).toBe(1000);
    expect(big.truncated).toBe(true);
    const stats = await runtime.stats(containerId);
    expect(stats.memoryBytes).toBeGreaterThan(0);
    expect(stats.cpuPercent).toBeGreaterThanOrEqual(0);
  });

  it('streams start and die events for labelled containers only', async () => {
    const events: ContainerEvent[] = [];
    const stop = runtime.events((e) => events.push(e), {
      labels: { [TEST_LABEL]: RUN, 'io.porthole.session': true },
    });
    try {
      // Let the subscription reach the daemon before acting.
      await new Promise((r) => setTimeout(r, 300));
      const { containerId } = await createAndStart(
        runtime,
        sessionSpec('events', ['sh', '-c', 'sleep 0.2; exit 3']),
      );
      const foreign = await docker.createContainer({
        Image: image,
        Cmd: ['true'],
        Labels: { [TEST_LABEL]: RUN },
      });
      await foreign.start();
      await expect
        .poll(() => events.filter((e) => e.containerId === containerId).map((e) => e.action), {
          timeout: 10_000,
        })
        .toEqual(expect.arrayContaining(['create', 'start', 'die']));
      const die = events.find((e) => e.containerId === containerId && e.action === 'die');
      expect(die?.exitCode).toBe(3);
      expect(die?.labels['io.porthole.session']).toBe(`${RUN}-events`);
      expect(events.some((e) => e.containerId === foreign.id)).toBe(false);
      await foreign.remove({ force: true });
    } finally {
      stop();
    }
  });

  it('removes a container whose start fails', async () => {
    const spec = sessionSpec('badcmd', ['/no/such/binary']);
    await expect(createAndStart(runtime, spec)).rejects.toBeInstanceOf(RuntimeError);
    await expect(createAndStart(runtime, spec)).rejects.toThrow(/no such file|not found|executable/i);
    const left = await runtime.list({ labels: { 'io.porthole.session': `${RUN}-badcmd` } });
    expect(left).toEqual([]);
  });

  it('maps engine errors to runtime codes', async () => {
    await expect(runtime.stop('no-such-container', 1)).rejects.toMatchObject({ code: 'not_found' });
    expect(await runtime.inspect('no-such-container')).toBeNull();
    await runtime.remove('no-such-container', { force: true });
    const { containerId } = await runtime.create(sessionSpec('dup'));
    await expect(runtime.create(sessionSpec('dup'))).rejects.toMatchObject({ code: 'conflict' });
    await runtime.remove(containerId, { force: true });
    const down = new DockerRuntime('unix:///tmp/porthole-no-such-docker.sock');
    await expect(down.ping()).rejects.toMatchObject({ code: 'unavailable' });
    await expect(down.inspect('x')).rejects.toMatchObject({ code: 'unavailable' });
  });
});
