import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBusyboxImage } from '../testkit/busybox-image.js';
import { freePort } from '../testkit/local-registry.js';
import type { ContainerEvent } from './container-runtime.js';
import { DockerRuntime } from './docker-runtime.js';

const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const RUN = randomUUID().slice(0, 8);
const LABEL = 'io.porthole.test-run';
const MiB = 1024 * 1024;

/** A TCP → unix-socket relay we can cut, standing in for a daemon that goes away and comes back. */
class DaemonRelay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(SOCKET);
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

const direct = new DockerRuntime(`unix://${SOCKET}`);
let image = '';
let relay: DaemonRelay;

beforeAll(async () => {
  image = await ensureBusyboxImage(direct);
  relay = new DaemonRelay(await freePort());
  await relay.start();
});

afterAll(async () => {
  await relay.stop();
  const leftovers = await direct.list({ labels: { [LABEL]: RUN } });
  await Promise.all(leftovers.map((c) => direct.remove(c.id, { force: true })));
});

async function runOnce(name: string): Promise<string> {
  const { containerId } = await direct.create({
    name: `porthole-test-${RUN}-${name}`,
    image,
    cmd: ['true'],
    env: {},
    labels: { [LABEL]: RUN, 'io.porthole.session': name },
    limits: { memoryBytes: 32 * MiB, nanoCpus: 250_000_000, pidsLimit: 64, shmBytes: 8 * MiB },
    security: { capDrop: ['ALL'], capAdd: [], noNewPrivileges: true },
    ports: [],
    mounts: [],
  });
  await direct.start(containerId);
  return containerId;
}

describe('DockerRuntime.events over a daemon connection that drops', () => {
  it('reconnects with backoff, calls onReconnect, and keeps delivering events', async () => {
    const remote = new DockerRuntime(`tcp://127.0.0.1:${relay.port}`);
    await remote.ping();
    const events: ContainerEvent[] = [];
    const onReconnect = vi.fn();
    const onDisconnect = vi.fn();
    const stop = remote.events((e) => events.push(e), {
      labels: { [LABEL]: RUN },
      onReconnect,
      onDisconnect,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const first = await runOnce('before');
      await expect
        .poll(() => events.some((e) => e.containerId === first && e.action === 'die'), { timeout: 10_000 })
        .toBe(true);

      await relay.stop();
      await expect.poll(() => onDisconnect.mock.calls.length, { timeout: 5_000 }).toBe(1);
      expect(onReconnect).not.toHaveBeenCalled();
      // While the daemon is away the subscription keeps retrying, then recovers once it is back.
      await new Promise((r) => setTimeout(r, 400));
      await relay.start();
      await expect.poll(() => onReconnect.mock.calls.length, { timeout: 5_000 }).toBe(1);
      expect(onDisconnect).toHaveBeenCalledTimes(1);

      const second = await runOnce('after');
      await expect
        .poll(() => events.filter((e) => e.containerId === second).map((e) => e.action), { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['start', 'die']));
    } finally {
      stop();
    }
  });
});
