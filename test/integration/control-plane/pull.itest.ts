import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ImagePullState } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../../packages/agent/src/runtime/docker-runtime.js';
import {
  type LocalRegistry,
  startLocalRegistry,
} from '../../../packages/agent/src/testkit/local-registry.js';
import { createTar } from '../../../packages/agent/src/testkit/tar.js';
import {
  startThrottleProxy,
  type ThrottleProxy,
} from '../../../packages/agent/src/testkit/throttle-proxy.js';
import { ControlPlane, SOCKET, type TestAgent, until } from './support.js';

/**
 * Image auto-pull seen from the server (issue 4): a workspace registered with an image only a
 * local registry holds is pulled by the agent, with its progress (layers, bytes) in the admin
 * agent view while it lasts, then `present`. The registry sits behind a throttling proxy so the
 * pull spans several check-ins.
 */
const runtime = new DockerRuntime(`unix://${SOCKET}`);
const PAYLOAD_BYTES = 3 * 1024 * 1024;
let plane: ControlPlane;
let agent: TestAgent;
let registry: LocalRegistry;
let proxy: ThrottleProxy;
let localRef = '';
let pushedRef = '';
let wantedRef = '';

beforeAll(async () => {
  plane = await ControlPlane.start('pull');
  registry = await startLocalRegistry();
  // ~1 MiB/s: the 3 MiB layer (random, so it neither compresses nor exists locally) takes ~3 s.
  proxy = await startThrottleProxy(registry.address, 1024 * 1024);
  const name = `porthole/test-pull-${plane.run}`;
  localRef = `${name}:latest`;
  pushedRef = `${registry.address}/${name}:latest`;
  wantedRef = `${proxy.address}/${name}:latest`;
  // Busybox (Debian's static binary) plus a payload unique to this run.
  const tarball = createTar([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: await readFile('/bin/busybox'), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'payload.bin', data: randomBytes(PAYLOAD_BYTES) },
  ]);
  await runtime.importImage(tarball, localRef, ['ENV PATH=/bin', 'CMD ["sh"]']);
  await runtime.tagImage(localRef, pushedRef);
  await runtime.pushImage(pushedRef);
  await runtime.removeImage(pushedRef, { force: true });
  await runtime.removeImage(localRef, { force: true });
  agent = await plane.agent('pull');
  await agent.waitReady();
});

afterAll(async () => {
  // Agents first, so nothing pulls the image again once it is removed.
  await plane?.close();
  for (const ref of [wantedRef, pushedRef, localRef])
    if (ref) await runtime.removeImage(ref, { force: true }).catch(() => undefined);
  await proxy?.stop();
  await registry?.stop();
});

describe('image auto-pull from a local registry', () => {
  it('shows the pull in the agent view with layers and bytes, then present', async () => {
    expect(await runtime.imagePresent(wantedRef)).toBe(false);
    expect((await agent.view()).images.some((i) => i.ref === wantedRef)).toBe(false);

    await plane.createImage({
      name: `pulled-${plane.run}`,
      dockerImage: wantedRef,
      cores: 0.1,
      memoryMb: 64,
    });
    const seen: ImagePullState[] = [];
    const present = await until(
      `${wantedRef} to be present on the agent`,
      async () => {
        const state = (await agent.view()).images.find((i) => i.ref === wantedRef);
        if (state) seen.push(state);
        if (state?.state === 'error') throw new Error(`pull failed: ${state.message ?? ''}`);
        return state?.state === 'present' ? state : undefined;
      },
      60_000,
      100,
    );
    expect(present.state).toBe('present');
    expect(await runtime.imagePresent(wantedRef)).toBe(true);

    const pulling = seen.filter((s) => s.state === 'pulling');
    expect(pulling.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(2);
    const withBytes = pulling.filter((s) => (s.bytesTotal ?? 0) > 0);
    expect(withBytes.length).toBeGreaterThanOrEqual(1);
    for (const s of withBytes) {
      expect(s.layersTotal).toBeGreaterThanOrEqual(1);
      expect(s.bytesDone ?? 0).toBeLessThanOrEqual(s.bytesTotal ?? 0);
    }
    const total = withBytes.at(-1)?.bytesTotal ?? 0;
    expect(total).toBeGreaterThanOrEqual(PAYLOAD_BYTES);
    // Progress as the server saw it never went backwards, and was seen part-way.
    const done = withBytes.map((s) => s.bytesDone ?? 0);
    for (let i = 1; i < done.length; i += 1) expect(done[i]).toBeGreaterThanOrEqual(done[i - 1] ?? 0);
    expect(done.some((d) => d > 0 && d < total)).toBe(true);
  });
});
