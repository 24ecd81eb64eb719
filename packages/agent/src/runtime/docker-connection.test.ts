import { describe, expect, it } from 'vitest';
import { describeDockerConnection, parseDockerConnection } from './docker-connection.js';

describe('parseDockerConnection', () => {
  it('defaults to the local socket', () => {
    expect(parseDockerConnection()).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(parseDockerConnection('')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(parseDockerConnection({})).toEqual({ socketPath: '/var/run/docker.sock' });
  });

  it('reads unix:// and bare paths', () => {
    expect(parseDockerConnection('unix:///run/other.sock')).toEqual({ socketPath: '/run/other.sock' });
    expect(parseDockerConnection('unix://')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(parseDockerConnection('/tmp/d.sock')).toEqual({ socketPath: '/tmp/d.sock' });
  });

  it('reads tcp:// and http(s):// endpoints', () => {
    expect(parseDockerConnection('tcp://10.0.0.5:2375')).toEqual({
      host: '10.0.0.5',
      port: 2375,
      protocol: 'http',
    });
    expect(parseDockerConnection('127.0.0.1:4243')).toEqual({
      host: '127.0.0.1',
      port: 4243,
      protocol: 'http',
    });
    expect(parseDockerConnection('https://docker.example')).toEqual({
      host: 'docker.example',
      port: 2376,
      protocol: 'https',
    });
    expect(parseDockerConnection('tcp://[::1]:2375')).toEqual({ host: '::1', port: 2375, protocol: 'http' });
  });

  it('takes an options object, socket first', () => {
    expect(parseDockerConnection({ host: 'h', port: 1 })).toEqual({ host: 'h', port: 1, protocol: 'http' });
    expect(parseDockerConnection({ socketPath: '/s', host: 'h' })).toEqual({ socketPath: '/s' });
  });

  it('rejects what it cannot use', () => {
    expect(() => parseDockerConnection('ssh://user@host')).toThrow(/unsupported scheme "ssh"/);
    expect(() => parseDockerConnection('tcp://:99')).toThrow(/invalid Docker host/);
  });

  it('describes a connection for logs', () => {
    expect(describeDockerConnection({ socketPath: '/s' })).toBe('unix:///s');
    expect(describeDockerConnection({ host: 'h', port: 1, protocol: 'http' })).toBe('http://h:1');
  });
});
