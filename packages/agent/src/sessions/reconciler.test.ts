import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ContainerCreateSpec } from '../runtime/container-runtime.js';
import { MemoryRuntime } from '../testkit/memory-runtime.js';
import { SessionReconciler } from './reconciler.js';
import { SessionRegistry } from './registry.js';

const logger = pino({ level: 'silent' });

function spec(sessionId: string, agentId: string): ContainerCreateSpec {
  return {
    name: `porthole-session-${sessionId}`,
    image: 'img:1',
    env: { VNC_PW: `pw-${sessionId}` },
    labels: { 'io.porthole.session': sessionId, 'io.porthole.agent': agentId },
    limits: { memoryBytes: 1, nanoCpus: 1, pidsLimit: 1, shmBytes: 1 },
    security: { capDrop: ['ALL'], capAdd: [], noNewPrivileges: true },
    ports: [],
    mounts: [],
  };
}

function setup() {
  const runtime = new MemoryRuntime();
  runtime.images.add('img:1');
  const agentId = randomUUID();
  const registry = new SessionRegistry();
  const reconciler = new SessionReconciler({ runtime, registry, agentId, logger });
  return { runtime, agentId, registry, reconciler };
}

describe('SessionReconciler', () => {
  it("adopts this agent's containers with their passwords and ignores other agents'", async () => {
    const { runtime, agentId, registry, reconciler } = setup();
    const mine = await runtime.create(spec('a', agentId));
    await runtime.start(mine.containerId);
    await runtime.create(spec('b', 'other-agent'));
    await reconciler.reconcile();
    expect(registry.list().map((r) => r.sessionId)).toEqual(['a']);
    expect(registry.target('a')).toMatchObject({ containerId: mine.containerId, vncPassword: 'pw-a' });
  });

  it('reports a container that died and forgets one that vanished', async () => {
    const { runtime, agentId, registry, reconciler } = setup();
    const a = await runtime.create(spec('a', agentId));
    const b = await runtime.create(spec('b', agentId));
    await runtime.start(a.containerId);
    await runtime.start(b.containerId);
    await reconciler.reconcile();
    runtime.crash(a.containerId, 137);
    runtime.containers.delete(b.containerId);
    await reconciler.reconcile();
    expect(registry.report()).toEqual([
      expect.objectContaining({ sessionId: 'a', state: 'exited', exitCode: 137, hostPort: null }),
    ]);
  });

  it('follows events without a full pass', async () => {
    const { runtime, agentId, registry, reconciler } = setup();
    const stop = runtime.events((event) => reconciler.handleEvent(event), {
      labels: { 'io.porthole.agent': agentId },
    });
    const a = await runtime.create(spec('a', agentId));
    await runtime.start(a.containerId);
    await runtime.pause(a.containerId);
    await expect.poll(() => registry.get('a')?.state).toBe('paused');
    await runtime.remove(a.containerId);
    await expect.poll(() => registry.size).toBe(0);
    stop();
  });

  it('leaves alone a record that changed while it listed', async () => {
    const { runtime, agentId, registry, reconciler } = setup();
    const a = await runtime.create(spec('a', agentId));
    await runtime.start(a.containerId);
    const list = runtime.list.bind(runtime);
    let created = '';
    // A create lands between the list and the pass's end: the pass must not forget it.
    runtime.list = async (options) => {
      const before = await list(options);
      const late = await runtime.create(spec('late', agentId));
      created = late.containerId;
      await runtime.start(late.containerId);
      await reconciler.refresh(late.containerId);
      return before;
    };
    await reconciler.reconcile();
    expect(registry.get('late')?.containerId).toBe(created);
    expect(registry.get('a')?.state).toBe('running');
  });

  it('runs concurrent passes one at a time', async () => {
    const { runtime, agentId, reconciler } = setup();
    await runtime.create(spec('a', agentId));
    let active = 0;
    let peak = 0;
    const list = runtime.list.bind(runtime);
    runtime.list = async (options) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      active -= 1;
      return list(options);
    };
    await Promise.all([reconciler.reconcile(), reconciler.reconcile(), reconciler.reconcile()]);
    expect(peak).toBe(1);
  });
});
