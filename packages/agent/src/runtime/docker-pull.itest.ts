import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRegistry, startLocalRegistry } from '../testkit/local-registry.js';
import { createTar } from '../testkit/tar.js';
import type { PullProgress } from './container-runtime.js';
import { DockerRuntime } from './docker-runtime.js';

const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const RUN = randomUUID().slice(0, 8);
const runtime = new DockerRuntime(`unix://${SOCKET}`);
let registry: LocalRegistry;
const localRef = `porthole/test-pull-${RUN}:latest`;
let remoteRef = '';

beforeAll(async () => {
  registry = await startLocalRegistry();
  remoteRef = `${registry.address}/porthole/test-pull-${RUN}:v1`;
  // Random content makes the layer unique, so the pull really downloads it (no "Already exists").
  const tarball = createTar([{ type: 'file', path: 'payload.bin', data: randomBytes(3 * 1024 * 1024) }]);
  await runtime.importImage(tarball, localRef, ['CMD ["/payload.bin"]']);
  await runtime.tagImage(localRef, remoteRef);
  await runtime.pushImage(remoteRef);
  await runtime.removeImage(remoteRef, { force: true });
  await runtime.removeImage(localRef, { force: true });
});

afterAll(async () => {
  await runtime.removeImage(remoteRef, { force: true }).catch(() => {});
  await runtime.removeImage(localRef, { force: true }).catch(() => {});
  await registry?.stop();
});

describe('DockerRuntime.pullImage from a local registry', () => {
  it('pulls with progress and the image is then present', async () => {
    expect(await runtime.imagePresent(remoteRef)).toBe(false);
    const progress: PullProgress[] = [];
    await runtime.pullImage(remoteRef, (p) => progress.push(p));
    expect(await runtime.imagePresent(remoteRef)).toBe(true);
    expect(progress.length).toBeGreaterThan(1);
    const last = progress.at(-1);
    expect(last?.layersTotal).toBe(1);
    expect(last?.layersDone).toBe(1);
    expect(last?.bytesTotal).toBeGreaterThan(0);
    expect(last?.bytesDone).toBe(last?.bytesTotal);
    // Progress never goes backwards.
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]?.bytesDone).toBeGreaterThanOrEqual(progress[i - 1]?.bytesDone ?? 0);
      expect(progress[i]?.layersDone).toBeGreaterThanOrEqual(progress[i - 1]?.layersDone ?? 0);
    }
    // Pulling again is a no-op that still succeeds.
    await runtime.pullImage(remoteRef, () => {});
  });

  it('rejects a missing image with the daemon message', async () => {
    const missing = `${registry.address}/porthole/missing-${RUN}:nope`;
    const error = await runtime
      .pullImage(missing, () => {})
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ name: 'RuntimeError', code: 'not_found' });
    expect((error as Error).message).toMatch(/manifest unknown|not found/);
    expect((error as Error).message).toContain(missing);
  });

  it('rejects an unreachable registry with the daemon message', async () => {
    const error = await runtime
      .pullImage('127.0.0.1:1/porthole/nothing:here', () => {})
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ name: 'RuntimeError' });
    expect((error as Error).message).toMatch(/connection refused/);
  });
});
