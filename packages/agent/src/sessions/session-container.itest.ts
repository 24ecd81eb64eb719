import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createAndStart } from '../runtime/create-and-start.js';
import { DockerRuntime } from '../runtime/docker-runtime.js';
import { buildSessionContainerSpec } from './container-spec.js';
import { waitForRfb } from './readiness.js';

/**
 * End to end through a real workspace image: the hardened spec must not stop the image from
 * serving RFB. Needs a built image (PORTHOLE_TEST_WORKSPACE_IMAGE, default porthole/desktop:latest);
 * skipped when it is absent, since images are built by `porthole images build`, not by this test.
 */
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const IMAGE = process.env.PORTHOLE_TEST_WORKSPACE_IMAGE ?? 'porthole/desktop:latest';
const RUN = randomUUID().slice(0, 8);
const runtime = new DockerRuntime(`unix://${SOCKET}`);
const present = await runtime.imagePresent(IMAGE).catch(() => false);

afterAll(async () => {
  const leftovers = await runtime.list({ labels: { 'io.porthole.agent': `agent-${RUN}` } });
  await Promise.all(leftovers.map((c) => runtime.remove(c.id, { force: true })));
});

describe.skipIf(!present)(`session container from ${IMAGE}`, () => {
  it('starts under the hardened spec and answers RFB through websockify with basic auth', async () => {
    const password = randomBytes(12).toString('base64url');
    const spec = buildSessionContainerSpec({
      sessionId: `${RUN}-desktop`,
      ownerId: 'owner-1',
      agentId: `agent-${RUN}`,
      image: { ref: IMAGE, name: 'desktop' },
      vncPassword: password,
      cores: 1,
      memoryBytes: 1024 * 1024 * 1024,
      shmBytes: 256 * 1024 * 1024,
    });
    const { containerId } = await createAndStart(runtime, spec);
    const info = await runtime.inspect(containerId);
    const port = info?.rfbHostPort ?? 0;
    expect(port).toBeGreaterThan(0);
    const ready = await waitForRfb({ port, password, timeoutMs: 60_000 });
    expect(ready.version).toMatch(/^003\.00[378]$/);
    expect((await runtime.inspect(containerId))?.state).toBe('running');
    await expect(waitForRfb({ port, password: 'wrong-password', timeoutMs: 5_000 })).rejects.toMatchObject({
      permanent: true,
    });
    await runtime.remove(containerId, { force: true });
  });
});
