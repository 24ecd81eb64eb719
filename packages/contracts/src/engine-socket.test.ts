import { describe, expect, it } from 'vitest';
import { isEngineSocketSource, normalizeAbsolutePath } from './engine-socket.js';

describe('engine socket sources', () => {
  it('normalises like posix.normalize for absolute paths', () => {
    expect(normalizeAbsolutePath('/var//run/./docker.sock')).toBe('/var/run/docker.sock');
    expect(normalizeAbsolutePath('/a/b/../c/')).toBe('/a/c');
    expect(normalizeAbsolutePath('/../..')).toBe('/');
  });

  it('refuses engine sockets and the directories that hold them, however written', () => {
    for (const p of [
      '/var/run/docker.sock',
      '/run/containerd/containerd.sock',
      '/x/podman.sock',
      '/',
      '/var/',
      '/var/lib/docker',
      '/srv/../var/run',
    ]) {
      expect(isEngineSocketSource(p), p).toBe(true);
    }
  });

  it('allows ordinary host paths', () => {
    for (const p of ['/srv/data', '/home/kasm-user', '/var/lib/porthole/volumes', '/run/user/1000']) {
      expect(isEngineSocketSource(p), p).toBe(false);
    }
  });
});
