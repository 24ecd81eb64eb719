import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagePullState } from '@porthole/contracts';
import { GrantSigner } from '@porthole/stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../agent.js';
import { DockerRuntime } from '../runtime/docker-runtime.js';
import { FakeControlPlane } from '../testkit/fake-control-plane.js';
import { type LocalRegistry, startLocalRegistry } from '../testkit/local-registry.js';
import { ensureSessionTestImage } from '../testkit/session-image.js';
import { createTar } from '../testkit/tar.js';
import { startThrottleProxy, type ThrottleProxy } from '../testkit/throttle-proxy.js';

/**
 * Image auto-pull end to end: the server lists images, the agent pulls the missing one from a
 * local registry (behind a throttling proxy, so the pull spans several check-ins), reports its
 * progress, reports a missing image with Docker's message, and leaves a present image alone.
 */
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const RUN = randomUUID().slice(0, 8);
const runtime = new DockerRuntime(`unix://${SOCKET}`);
const signer = new GrantSigner(GrantSigner.generatePrivateKeyPem());
const plane = new FakeControlPlane({ token: `t-${RUN}`, grantPublicKey: signer.publicKeyPem });
const PAYLOAD_BYTES = 6 * 1024 * 1024;
const localRef = `porthole/test-autopull-${RUN}:latest`;
let registry: LocalRegistry;
let proxy: ThrottleProxy;
let pushedRef = '';
let wantedRef = '';
let missingRef = '';
let presentRef = '';
let stateDir = '';
let agent: RunningAgent | null = null;

beforeAll(async () => {
  presentRef = await ensureSessionTestImage(runtime);
  registry = await startLocalRegistry();
  // ~1.5 MB/s: the 6 MiB layer takes about four seconds, several 1 s check-ins.
  proxy = await startThrottleProxy(registry.address, 1.5 * 1024 * 1024);
  pushedRef = `${registry.address}/porthole/autopull-${RUN}:v1`;
  wantedRef = `${proxy.address}/porthole/autopull-${RUN}:v1`;
  missingRef = `${proxy.address}/porthole/never-pushed-${RUN}:v1`;
  const tarball = createTar([{ type: 'file', path: 'payload.bin', data: randomBytes(PAYLOAD_BYTES) }]);
  await runtime.importImage(tarball, localRef, ['CMD ["/payload.bin"]']);
  await runtime.tagImage(localRef, pushedRef);
  await runtime.pushImage(pushedRef);
  await runtime.removeImage(pushedRef, { force: true });
  await runtime.removeImage(localRef, { force: true });
  await plane.start();
  stateDir = await mkdtemp(join(tmpdir(), `porthole-agent-pull-${RUN}-`));
});

afterAll(async () => {
  await agent?.close();
  for (const ref of [wantedRef, pushedRef, localRef]) {
    if (ref) await runtime.removeImage(ref, { force: true }).catch(() => {});
  }
  await plane.stop();
  await proxy?.stop();
  await registry?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('image auto-pull', () => {
  it('pulls what the server wants with progress in check-ins, reports failures, keeps present images', async () => {
    expect(await runtime.imagePresent(wantedRef)).toBe(false);
    plane.images = [presentRef, wantedRef, missingRef];
    agent = await startAgent(
      {
        serverUrl: plane.url,
        token: `t-${RUN}`,
        name: `pull-${RUN}`,
        listen: { host: '127.0.0.1', port: 0 },
        dockerHost: `unix://${SOCKET}`,
        stateDir,
        checkinIntervalSeconds: 1,
      },
      pino({ level: process.env.PORTHOLE_TEST_LOG ?? 'silent' }),
    );
    const agentId = agent.agentId;
    const stateOf = (images: ImagePullState[], ref: string) => images.find((i) => i.ref === ref);

    const during = await plane.waitForCheckin(agentId, (b) => {
      const wanted = stateOf(b.images, wantedRef);
      return wanted?.state === 'pulling' && (wanted.bytesDone ?? 0) > 0;
    });
    const pulling = stateOf(during.images, wantedRef);
    expect(pulling?.layersTotal).toBe(1);
    expect(pulling?.bytesTotal).toBeGreaterThan(0);
    expect(pulling?.bytesDone).toBeLessThanOrEqual(pulling?.bytesTotal ?? 0);
    expect(stateOf(during.images, presentRef)?.state).toBe('present');

    const after = await plane.waitForCheckin(
      agentId,
      (b) =>
        stateOf(b.images, wantedRef)?.state === 'present' && stateOf(b.images, missingRef)?.state === 'error',
      60_000,
    );
    expect(await runtime.imagePresent(wantedRef)).toBe(true);
    const failed = stateOf(after.images, missingRef);
    expect(failed?.message).toMatch(/manifest unknown|not found/i);
    expect(failed?.message).toContain(missingRef);

    // Progress seen across check-ins never went backwards.
    const seen = plane
      .checkinsOf(agentId)
      .map((c) => stateOf(c.body.images, wantedRef))
      .filter((i): i is ImagePullState => i?.state === 'pulling' && i.bytesDone !== undefined)
      .map((i) => i.bytesDone ?? 0);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1] ?? 0);
    expect(plane.rejected).toEqual([]);
  });
});
