import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageBuildsView } from '@porthole/contracts';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../../packages/agent/src/runtime/docker-runtime.js';
import { ensureBusyboxImage } from '../../../packages/agent/src/testkit/busybox-image.js';
import { buildImages } from '../../../packages/cli/src/images/index.js';
import type { ApiClient } from '../../support/http.js';
import { adminClient, createTestDatabase, startTestServer, type TestServer } from './support.js';

/**
 * The admin view of the background image builds: the real builder (Engine API) builds three tiny
 * stand-in images from busybox, under a random namespace so the real porthole/* images are never
 * touched, reporting into a real server's image-build state; the admin route is polled meanwhile,
 * as the Workspaces page does.
 */
const run = randomBytes(4).toString('hex');
const namespace = `porthole-itest-${run}`;
const docker = new Dockerode();
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;
let root: string;
let base: string;

async function writeImage(name: string, dockerfile: string): Promise<void> {
  const dir = join(root, 'images', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  await writeFile(join(dir, 'note.txt'), name);
}

beforeAll(async () => {
  db = await createTestDatabase('admin_image_builds');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
  base = await ensureBusyboxImage(new DockerRuntime());
  root = await mkdtemp(join(tmpdir(), 'porthole-image-builds-'));
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'x', version: `0.0.0-itest.${run}` }));
  // A step long enough for the polling below to see it under way.
  await writeImage('desktop', 'ARG BASE\nFROM $BASE\nRUN sleep 3\nCOPY note.txt /note.txt\n');
  await writeImage('desktop-deluxe', 'ARG PARENT\nFROM $PARENT\nCOPY note.txt /note-deluxe.txt\n');
  await writeImage('firefox', 'ARG PARENT\nFROM $PARENT\nRUN echo no-browser-here && false\n');
});

afterAll(async () => {
  const images = await docker.listImages({ filters: JSON.stringify({ reference: [`${namespace}/*`] }) });
  for (const image of images)
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => {});
  if (root) await rm(root, { recursive: true, force: true });
  await t?.stop();
  await db?.drop();
});

describe('GET /api/admin/image-builds', () => {
  it('is for admins only, and has nothing to show before a build', async () => {
    const anonymous = await fetch(`${t.server.url}/api/admin/image-builds`);
    expect(anonymous.status).toBe(401);
    const { status, body } = await admin.get<ImageBuildsView>('/api/admin/image-builds');
    expect(status).toBe(200);
    expect(body).toMatchObject({ active: false, images: [] });
  });

  it('follows a real build: queued, building with its step, then done or failed with the reason', async () => {
    const seen: ImageBuildsView[] = [];
    let finished = false;
    const building = buildImages({
      root,
      namespace,
      base,
      docker,
      log: () => {},
      onProgress: (event) => t.server.services.imageBuilds.record(event),
    }).finally(() => {
      finished = true;
    });
    while (!finished) {
      seen.push((await admin.get<ImageBuildsView>('/api/admin/image-builds')).body);
      await new Promise((r) => setTimeout(r, 100));
    }
    await building;
    const last = (await admin.get<ImageBuildsView>('/api/admin/image-builds')).body;

    // While it ran: active, the base named, and desktop seen mid-build at a step of its Dockerfile
    // while its children waited.
    expect(seen.some((v) => v.active && v.images.length === 3)).toBe(true);
    const midway = seen.find((v) => v.images[0]?.state === 'building' && v.images[0].step !== null);
    expect(midway?.base).toContain(base);
    expect(midway?.images[0]).toMatchObject({
      name: 'desktop',
      image: `${namespace}/desktop:0.0.0-itest.${run}`,
    });
    expect(midway?.images[0]?.steps).toBeGreaterThanOrEqual(4);
    expect(midway?.images[0]?.stepText).toMatch(/\S/);
    expect(midway?.images.slice(1).map((i) => i.state)).toEqual(['queued', 'queued']);

    // At the end: not active, each image's outcome, the failure's step and output.
    expect(last.active).toBe(false);
    expect(last.finishedAt).not.toBeNull();
    expect(last.images.map((i) => [i.name, i.state])).toEqual([
      ['desktop', 'done'],
      ['desktop-deluxe', 'done'],
      ['firefox', 'failed'],
    ]);
    expect(last.images[0]?.elapsedSeconds).toBeGreaterThanOrEqual(3);
    expect(last.images[2]?.error).toMatch(/step 3\/\d+/);
    expect(last.images[2]?.error).toContain('no-browser-here');

    // A second run finds desktop and desktop-deluxe unchanged.
    await buildImages({
      root,
      namespace,
      base,
      docker,
      log: () => {},
      names: ['desktop-deluxe'],
      onProgress: (event) => t.server.services.imageBuilds.record(event),
    });
    const again = (await admin.get<ImageBuildsView>('/api/admin/image-builds')).body;
    expect(again.images.map((i) => [i.name, i.state, i.upToDate])).toEqual([
      ['desktop', 'done', true],
      ['desktop-deluxe', 'done', true],
    ]);
  }, 180_000);
});
