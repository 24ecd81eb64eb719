import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HashInputs, inputsHash, listContext } from './inputs.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-inputs-'));
  await mkdir(join(dir, 'rootfs/usr/local/bin'), { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
  await writeFile(join(dir, 'rootfs/usr/local/bin/start'), '#!/bin/sh\n');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function hash(overrides: Partial<HashInputs> = {}): Promise<string> {
  return inputsHash({
    dir,
    files: await listContext(dir),
    fromImageId: 'sha256:base',
    buildArgs: { BASE: 'debian:bookworm-slim' },
    labels: { 'io.porthole.version': '0.1.0' },
    ...overrides,
  });
}

describe('listContext', () => {
  it('lists files as sorted POSIX paths relative to the folder', async () => {
    expect(await listContext(dir)).toEqual(['Dockerfile', 'rootfs/usr/local/bin/start']);
  });
});

describe('inputsHash', () => {
  it('is stable and ignores mtimes', async () => {
    const before = await hash();
    await utimes(join(dir, 'Dockerfile'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    expect(await hash()).toBe(before);
    expect(before).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('changes with a file, a new file, the executable bit, the base or parent, args and labels', async () => {
    const seen = new Set([await hash()]);
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nLABEL a=b\n');
    seen.add(await hash());
    await writeFile(join(dir, 'rootfs/extra'), 'x');
    seen.add(await hash());
    await chmod(join(dir, 'rootfs/usr/local/bin/start'), 0o755);
    seen.add(await hash());
    seen.add(await hash({ fromImageId: 'sha256:other' }));
    seen.add(await hash({ buildArgs: { BASE: 'porthole/base-bookworm:latest' } }));
    seen.add(await hash({ labels: { 'io.porthole.version': '0.2.0' } }));
    expect(seen.size).toBe(7);
  });

  it('does not confuse a moved byte between path and content', async () => {
    await writeFile(join(dir, 'ab'), 'c');
    const one = await hash({ files: ['ab'] });
    await rm(join(dir, 'ab'));
    await writeFile(join(dir, 'a'), 'bc');
    expect(await hash({ files: ['a'] })).not.toBe(one);
  });
});
