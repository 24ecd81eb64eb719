// A debootstrap base made before bases were slimmed carries ~80 MB of apt lists and caches that
// every image inherits; the builder replaces it with a slim copy once. Checked on a copy of the
// local porthole/base-bookworm (tagged under a test repository, removed afterwards).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { slimBase, slimBaseLabel } from '../../packages/cli/src/images/base-slim.js';
import { docker, imagePresent, logs, removeContainer, waitForExit } from './support/workspace.js';

const source = 'porthole/base-bookworm:latest';
const copyRepo = 'porthole-itest/base-slim';
const copyTag = randomBytes(4).toString('hex');
const copy = `${copyRepo}:${copyTag}`;

describe.skipIf(!(await imagePresent(source)))('slimBase', () => {
  afterAll(async () => {
    await docker
      .getImage(copy)
      .remove({ force: true })
      .catch(() => {});
  });

  it('re-imports the base without apt lists and caches, labelled, keeping the directories apt expects', async () => {
    const original = await docker.getImage(source).inspect();
    await docker.getImage(source).tag({ repo: copyRepo, tag: copyTag });
    const id = await slimBase(docker, copy);
    const slim = await docker.getImage(copy).inspect();
    expect(slim.Id).toBe(id);
    expect(slim.Config?.Labels?.[slimBaseLabel]).toBe('1');
    expect(slim.Size).toBeLessThanOrEqual(original.Size);

    const container = await docker.createContainer({
      Image: copy,
      User: '0',
      Cmd: [
        'sh',
        '-c',
        'find /var/lib/apt/lists /var/cache/apt -type f | wc -l; ls -d /var/cache/apt/archives/partial /var/lib/apt/lists/partial',
      ],
    });
    try {
      await container.start();
      expect(await waitForExit(container, 30_000)).toBe(0);
      const [files, ...dirs] = (await logs(container)).trim().split('\n');
      expect(Number(files)).toBe(0);
      expect(dirs).toEqual(['/var/cache/apt/archives/partial', '/var/lib/apt/lists/partial']);
    } finally {
      await removeContainer(container);
    }
  }, 120_000);
});
