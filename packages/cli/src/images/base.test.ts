import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { localBase, registryBase, resolveBase, tryPull } from './base.js';

type PullBehaviour = 'ok' | 'hang' | 'fail';

// Just the two Engine API calls base detection makes: image inspect and pull.
function fakeDocker(present: Set<string>, pull: PullBehaviour = 'fail') {
  const calls: string[] = [];
  const docker = {
    getImage: (ref: string) => ({
      inspect: async () => {
        if (present.has(ref))
          return { Id: `sha256:${ref}`, Config: { Labels: { 'io.porthole.base-slim': '1' } } };
        throw Object.assign(new Error('no such image'), { statusCode: 404 });
      },
    }),
    pull: async (ref: string, opts: { abortSignal?: AbortSignal }) => {
      calls.push(`pull ${ref}`);
      const stream = new PassThrough();
      if (pull === 'ok') {
        stream.end('{"status":"Downloaded newer image"}\n');
        present.add(ref);
      } else if (pull === 'fail') {
        stream.end('{"error":"dial tcp: lookup registry-1.docker.io: no such host"}\n');
      } else {
        opts.abortSignal?.addEventListener('abort', () => stream.destroy(new Error('aborted')));
      }
      return stream;
    },
  };
  return { docker: docker as unknown as Dockerode, calls };
}

const log = () => {};

describe('resolveBase', () => {
  it('prefers debian:bookworm-slim when present, without touching the network', async () => {
    const { docker, calls } = fakeDocker(new Set([registryBase, localBase]));
    expect(await resolveBase({ docker, log })).toMatchObject({ ref: registryBase, how: /already present/ });
    expect(calls).toEqual([]);
  });

  it('uses porthole/base-bookworm when it is the one present', async () => {
    const { docker, calls } = fakeDocker(new Set([localBase]));
    expect(await resolveBase({ docker, log })).toMatchObject({ ref: localBase, id: `sha256:${localBase}` });
    expect(calls).toEqual([]);
  });

  it('pulls debian:bookworm-slim when nothing is present and a registry answers', async () => {
    const { docker, calls } = fakeDocker(new Set(), 'ok');
    expect(await resolveBase({ docker, log })).toMatchObject({ ref: registryBase, how: /pulled/ });
    expect(calls).toEqual([`pull ${registryBase}`]);
  });

  it('takes an explicit base as is, and refuses a missing one', async () => {
    const { docker } = fakeDocker(new Set(['mirror/debian:12']));
    expect(await resolveBase({ docker, log, base: 'mirror/debian:12' })).toMatchObject({
      ref: 'mirror/debian:12',
    });
    await expect(resolveBase({ docker, log, base: 'nope:1' })).rejects.toThrow(/not present/);
  });
});

describe('tryPull', () => {
  it('reports a registry error', async () => {
    const { docker } = fakeDocker(new Set(), 'fail');
    expect(await tryPull(docker, registryBase, 1_000)).toEqual({
      ok: false,
      reason: expect.stringMatching(/no such host/),
    });
  });

  it('gives up on a registry that stays silent', async () => {
    const { docker } = fakeDocker(new Set(), 'hang');
    expect(await tryPull(docker, registryBase, 50)).toEqual({ ok: false, reason: 'no answer in 0.05 s' });
  });
});
