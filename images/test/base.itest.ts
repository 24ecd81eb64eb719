// The no-registry path: a Debian bookworm minbase made with debootstrap and imported through the
// Engine API. Slow (about a minute, downloads ~40 MB) and needs root, so it runs only when asked:
//   PORTHOLE_TEST_DEBOOTSTRAP=1 npx vitest run --project integration images/test/base.itest.ts
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createDebootstrapBase } from '../../packages/cli/src/images/index.js';
import { docker, logs, removeContainer, waitForExit } from './support/workspace.js';

const repo = 'porthole-itest/base-bookworm';
const tag = randomBytes(4).toString('hex');

describe.skipIf(process.env.PORTHOLE_TEST_DEBOOTSTRAP !== '1')('debootstrap base', () => {
  afterAll(async () => {
    await docker
      .getImage(`${repo}:${tag}`)
      .remove({ force: true })
      .catch(() => {});
  });

  it('creates a bookworm image through the Engine API import that runs and has no apt caches', async () => {
    const lines: string[] = [];
    const id = await createDebootstrapBase({ docker, log: (l) => lines.push(l), repo, tag });
    expect(id).toMatch(/^sha256:/);
    expect(lines.some((l) => l.includes('importing'))).toBe(true);
    // Marked slim, so the builder never re-imports it to drop apt state.
    const info = await docker.getImage(`${repo}:${tag}`).inspect();
    expect(info.Config?.Labels?.['io.porthole.base-slim']).toBe('1');

    const container = await docker.createContainer({
      Image: `${repo}:${tag}`,
      Cmd: [
        'sh',
        '-c',
        'cat /etc/debian_version; ls -A /var/lib/apt/lists /var/cache/apt/archives | wc -l; id -u; ls -A /var/cache/apt',
      ],
    });
    try {
      await container.start();
      expect(await waitForExit(container, 30_000)).toBe(0);
      const [version, lists, uid, cache] = (await logs(container)).trim().split('\n');
      expect(version).toMatch(/^12\./);
      // Two headers, two partial/ directories and the blank line between: nothing else.
      expect(Number(lists)).toBe(5);
      expect(uid).toBe('0');
      // No pkgcache.bin / srcpkgcache.bin either: only the archives directory apt expects.
      expect(cache).toBe('archives');
    } finally {
      await removeContainer(container);
    }
  }, 600_000);
});
