import { randomUUID } from 'node:crypto';
import type { AgentCreateSession } from '@porthole/contracts';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../runtime/container-runtime.js';
import { MemoryRuntime } from '../testkit/memory-runtime.js';
import { AgentError } from '../util/errors.js';
import { RfbNotReadyError, type WaitForRfbOptions } from './readiness.js';
import { SessionReconciler } from './reconciler.js';
import { SessionRegistry } from './registry.js';
import { SessionService } from './session-service.js';

const logger = pino({ level: 'silent' });
const IMAGE = 'porthole/desktop:latest';

function setup() {
  const runtime = new MemoryRuntime();
  runtime.images.add(IMAGE);
  const registry = new SessionRegistry();
  const agentId = randomUUID();
  const reconciler = new SessionReconciler({ runtime, registry, agentId, logger });
  let rfb: (options: WaitForRfbOptions) => Promise<{ elapsedMs: number; attempts: number; version: string }> =
    async () => ({
      elapsedMs: 5,
      attempts: 1,
      version: '003.008',
    });
  const service = new SessionService({
    runtime,
    registry,
    reconciler,
    agentId,
    logger,
    host: () => ({ cores: 4, memoryBytes: 8 * 1024 ** 3 }),
    waitForRfb: (options) => rfb(options),
    randomPassword: () => 'secret-pw',
  });
  return { runtime, registry, reconciler, service, agentId, setRfb: (f: typeof rfb) => (rfb = f) };
}

function body(sessionId: string): AgentCreateSession {
  return {
    sessionId,
    ownerId: 'owner-1',
    ownerName: 'alice',
    image: { ref: IMAGE, name: 'desktop' },
    cores: 1.5,
    memoryBytes: 1024 ** 3,
    shmBytes: 256 * 1024 ** 2,
    url: 'https://example.org',
  };
}

describe('SessionService.create', () => {
  it('starts a hardened container with its own password and records it', async () => {
    const { runtime, registry, service, agentId } = setup();
    const { state, created } = await service.create(body('s1'));
    expect(created).toBe(true);
    expect(state.state).toBe('running');
    const info = runtime.containers.get(state.containerId);
    expect(info?.labels).toMatchObject({
      'io.porthole.session': 's1',
      'io.porthole.agent': agentId,
      'io.porthole.owner': 'owner-1',
      'io.porthole.image': 'desktop',
    });
    expect(info?.env).toMatchObject({
      VNC_PW: 'secret-pw',
      KASM_USER: 'alice',
      KASM_URL: 'https://example.org',
    });
    expect(info?.limits).toMatchObject({ nanoCpus: 1.5e9, memoryBytes: 1024 ** 3 });
    expect(registry.target('s1')).toEqual({
      containerId: state.containerId,
      hostPort: state.hostPort,
      vncPassword: 'secret-pw',
    });
  });

  it('makes one container when the same create arrives twice at once', async () => {
    const { runtime, service } = setup();
    const [a, b] = await Promise.all([service.create(body('s2')), service.create(body('s2'))]);
    expect(a.state.containerId).toBe(b.state.containerId);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(runtime.containers.size).toBe(1);
  });

  it('finishes a create a crash cut short (created, never started)', async () => {
    const { runtime, service, agentId } = setup();
    const { containerId } = await runtime.create({
      name: 'porthole-session-s3',
      image: IMAGE,
      env: { VNC_PW: 'old-pw' },
      labels: { 'io.porthole.session': 's3', 'io.porthole.agent': agentId },
      limits: { memoryBytes: 1, nanoCpus: 1, pidsLimit: 1, shmBytes: 1 },
      security: { capDrop: [], capAdd: [], noNewPrivileges: true },
      ports: [],
      mounts: [],
    });
    const { state, created } = await service.create(body('s3'));
    expect(created).toBe(false);
    expect(state).toMatchObject({ containerId, state: 'running' });
    expect(runtime.containers.size).toBe(1);
  });

  it('leaves nothing behind when start fails', async () => {
    const { runtime, registry, service } = setup();
    runtime.startError = new RuntimeError('failed', 'exec: "xvnc": not found');
    await expect(service.create(body('s4'))).rejects.toMatchObject({ statusCode: 500 });
    expect(runtime.containers.size).toBe(0);
    expect(registry.size).toBe(0);
  });

  it('refuses a container name another agent holds with 409', async () => {
    const { runtime, service } = setup();
    await runtime.create({
      name: 'porthole-session-s5',
      image: IMAGE,
      env: {},
      labels: { 'io.porthole.session': 's5', 'io.porthole.agent': 'someone-else' },
      limits: { memoryBytes: 1, nanoCpus: 1, pidsLimit: 1, shmBytes: 1 },
      security: { capDrop: [], capAdd: [], noNewPrivileges: true },
      ports: [],
      mounts: [],
    });
    const error = await service.create(body('s5')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ statusCode: 409, code: 'conflict' });
  });
});

describe('SessionService lifecycle', () => {
  it('keeps the password across a restart of the registry (rebuilt from env)', async () => {
    const { runtime, service, agentId } = setup();
    await service.create(body('s6'));
    const registry = new SessionRegistry();
    const reconciler = new SessionReconciler({ runtime, registry, agentId, logger });
    await reconciler.reconcile();
    expect(registry.target('s6')?.vncPassword).toBe('secret-pw');
  });

  it('maps readiness timeouts to 504 and bad credentials to 502', async () => {
    const { service, setRfb } = setup();
    await service.create(body('s7'));
    setRfb(async () => {
      throw new RfbNotReadyError('no banner', 3, 1000, null);
    });
    await expect(service.ready('s7', 1000)).rejects.toMatchObject({ statusCode: 504 });
    setRfb(async () => {
      throw new RfbNotReadyError('rejected', 1, 10, null, true);
    });
    await expect(service.ready('s7', 1000)).rejects.toMatchObject({ statusCode: 502 });
  });

  it('refuses to probe or pause a stopped session with 409, and 404s an unknown one', async () => {
    const { service } = setup();
    await service.create(body('s8'));
    await service.stop('s8');
    await expect(service.ready('s8', 1000)).rejects.toMatchObject({ statusCode: 409 });
    await expect(service.pause('s8')).rejects.toMatchObject({ statusCode: 409 });
    await expect(service.get('nope')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('ends a readiness wait that a destroy overtook while the container was looked up', async () => {
    const { runtime, service, setRfb } = setup();
    await service.create(body('s10'));
    // ready() inspects the container twice before it probes; the second answer (taken while the
    // container still existed) is held back until the destroy has finished.
    const inspect = runtime.inspect.bind(runtime);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    runtime.inspect = async (id) => {
      const info = await inspect(id);
      calls += 1;
      if (calls === 2) await held;
      return info;
    };
    // Like the real probe of a removed port: only an abort ends it before its (long) timeout.
    setRfb(
      (options) =>
        new Promise((_resolve, reject) => {
          const aborted = () => reject(new RfbNotReadyError('aborted', 1, 1, null));
          if (options.signal?.aborted) aborted();
          options.signal?.addEventListener('abort', aborted, { once: true });
        }),
    );
    const ready = service.ready('s10', 90_000);
    while (calls < 2) await new Promise((r) => setImmediate(r));
    expect(await service.destroy('s10')).toBe(true);
    release();
    await expect(ready).rejects.toMatchObject({ statusCode: 404 });
  });

  it('destroy is idempotent and reports whether it removed anything', async () => {
    const { runtime, service } = setup();
    await service.create(body('s9'));
    expect(await service.destroy('s9')).toBe(true);
    expect(await service.destroy('s9')).toBe(false);
    expect(runtime.containers.size).toBe(0);
  });
});
