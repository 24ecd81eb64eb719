// The image builder against the real Engine API, on a throwaway checkout with tiny Dockerfiles and
// its own repository namespace, so the real porthole/* images are never touched.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildResult, buildImages } from '../../packages/cli/src/images/index.js';
import { docker } from './support/workspace.js';

const run = randomBytes(4).toString('hex');
const namespace = `porthole-itest-${run}`;
// Unique per run: images a rebuild left untagged are found by this label when cleaning up.
const version = `0.0.0-itest.${run}`;
let root: string;
const lines: string[] = [];

async function writeImage(
  name: string,
  dockerfile: string,
  files: Record<string, string> = {},
): Promise<void> {
  const dir = join(root, 'images', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
}

const child = 'ARG PARENT\nFROM $PARENT\nCOPY note.txt /note-child.txt\n';

async function build(
  options: { names?: string[]; force?: boolean } = {},
): Promise<Record<string, BuildResult>> {
  const results = await buildImages({ ...options, root, namespace, docker, log: (l) => lines.push(l) });
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

const statuses = (results: Record<string, BuildResult>) =>
  Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.status]));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'porthole-builder-'));
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'x', version }));
  await writeImage('desktop', 'ARG BASE\nFROM $BASE\nCOPY note.txt /note.txt\n', { 'note.txt': 'one' });
  await writeImage('desktop-deluxe', child, { 'note.txt': 'deluxe' });
  await writeImage('firefox', child, { 'note.txt': 'firefox', 'icon.svg': '<svg/>' });
});

afterAll(async () => {
  const images = await docker.listImages({ filters: JSON.stringify({ reference: [`${namespace}/*`] }) });
  for (const image of images)
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => {});
  await rm(root, { recursive: true, force: true });
});

describe('buildImages', () => {
  it('builds all three, tagged with the version and latest, labelled with the inputs hash', async () => {
    const results = await build();
    expect(statuses(results)).toEqual({ desktop: 'built', 'desktop-deluxe': 'built', firefox: 'built' });
    const firefox = await docker.getImage(`${namespace}/firefox:${version}`).inspect();
    const latest = await docker.getImage(`${namespace}/firefox:latest`).inspect();
    expect(latest.Id).toBe(firefox.Id);
    expect(firefox.Config.Labels?.['io.porthole.inputs-hash']).toMatch(/^sha256:/);
    expect(firefox.Config.Labels?.['io.porthole.icon']).toBe(
      `data:image/svg+xml;base64,${Buffer.from('<svg/>').toString('base64')}`,
    );
    expect(lines.some((l) => /^base: /.test(l))).toBe(true);
    expect(lines.some((l) => /^\[desktop\] step \d+\/\d+ /.test(l))).toBe(true);
  });

  it('skips unchanged images in well under a few seconds', async () => {
    const t0 = Date.now();
    const results = await build();
    expect(statuses(results)).toEqual({ desktop: 'cached', 'desktop-deluxe': 'cached', firefox: 'cached' });
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('rebuilds only what changed: a child alone, or a parent and its children', async () => {
    await writeImage('firefox', child, { 'note.txt': 'firefox 2' });
    expect(statuses(await build())).toEqual({
      desktop: 'cached',
      'desktop-deluxe': 'cached',
      firefox: 'built',
    });
    await writeImage('desktop', 'ARG BASE\nFROM $BASE\nCOPY note.txt /note.txt\n', { 'note.txt': 'two' });
    expect(statuses(await build())).toEqual({
      desktop: 'built',
      'desktop-deluxe': 'built',
      firefox: 'built',
    });
  });

  it('rebuilds on force, and builds a parent along with a requested child', async () => {
    expect(statuses(await build({ names: ['firefox'], force: true }))).toEqual({
      desktop: 'built',
      firefox: 'built',
    });
  });

  it('reports a failing build with its step and output, and still builds the others', async () => {
    await writeImage('desktop-deluxe', 'ARG PARENT\nFROM $PARENT\nRUN echo no-such-luck && false\n');
    const results = await build();
    expect(statuses(results)).toEqual({ desktop: 'cached', 'desktop-deluxe': 'failed', firefox: 'cached' });
    expect(results['desktop-deluxe']?.error).toMatch(/step 3\/\d+/);
    expect(results['desktop-deluxe']?.error).toContain('no-such-luck');
  });

  it('refuses unknown image names', async () => {
    await expect(build({ names: ['chrome'] })).rejects.toThrow(/unknown image 'chrome'/);
  });
});
