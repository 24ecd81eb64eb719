import { describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { checkNetwork, checkRunConfig } from './image-rules.js';

describe('image rules', () => {
  it('accepts named networks and treats empty as the default bridge', () => {
    expect(checkNetwork('porthole-sessions')).toBe('porthole-sessions');
    expect(checkNetwork('')).toBeNull();
    expect(checkNetwork(null)).toBeNull();
  });

  it('refuses networks that break isolation or streaming, naming the field', () => {
    for (const n of ['host', 'none', 'container:abc', '-x']) {
      expect(() => checkNetwork(n)).toThrowError(/^network: /);
    }
  });

  it('refuses bind mounts of the container engine', () => {
    const run = (source: string) => ({
      volumes: [
        { source: '/data', target: '/d' },
        { source, target: '/x' },
      ],
    });
    expect(() => checkRunConfig(run('/var/run/docker.sock'))).toThrowError(InvalidError);
    expect(() => checkRunConfig(run('/run/containerd/'))).toThrowError(/runConfig\.volumes\.1\.source/);
    expect(() => checkRunConfig(run('/var/../var/lib/docker'))).toThrowError(InvalidError);
    expect(() => checkRunConfig(run('/srv/shared'))).not.toThrow();
    expect(() => checkRunConfig(run('named-volume'))).not.toThrow();
  });
});
