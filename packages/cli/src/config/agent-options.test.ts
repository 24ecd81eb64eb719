import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentOptions, parseListen, toAgentConfig } from './agent-options.js';
import { ConfigError, resolveOptions } from './options.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-agent-opts-'));
  await writeFile(join(dir, 'ca.pem'), 'CA PEM');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return toAgentConfig(resolveOptions(agentOptions, argv, env).values);
}

describe('porthole agent options', () => {
  it('takes a metrics token for its /metrics from PORTHOLE_AGENT_METRICS_TOKEN', () => {
    const base = ['--server-url', 'https://porthole.example.com'];
    expect(config(base).metricsToken).toBeUndefined();
    expect(config(base, { PORTHOLE_AGENT_METRICS_TOKEN: 'agent-metrics-token' }).metricsToken).toBe(
      'agent-metrics-token',
    );
    expect(() => config([...base, '--metrics-token', 'short'])).toThrow(ConfigError);
  });

  it('has the documented defaults', () => {
    const c = config(['--server-url', 'https://porthole.example.com', '--token', 't']);
    expect(c).toMatchObject({
      serverUrl: 'https://porthole.example.com',
      token: 't',
      name: hostname(),
      listen: { host: '127.0.0.1', port: 4444 },
      checkinIntervalSeconds: 5,
      pullConcurrency: 2,
      dockerHost: 'unix:///var/run/docker.sock',
    });
    expect(c.stateDir).toMatch(/porthole-agent$/);
    expect(c.zone).toBeUndefined();
    expect(c.tls).toBeUndefined();
  });

  it('reads every option from PORTHOLE_AGENT_* and lets flags win', () => {
    const env = {
      PORTHOLE_AGENT_SERVER_URL: 'http://10.0.0.1:8443',
      PORTHOLE_AGENT_TOKEN: 'from-env',
      PORTHOLE_AGENT_NAME: 'gpu-1',
      PORTHOLE_AGENT_ZONE: 'eu',
      PORTHOLE_AGENT_LISTEN: '0.0.0.0:5555',
      PORTHOLE_AGENT_ADVERTISE_URL: 'http://gpu-1.internal:5555',
      PORTHOLE_AGENT_DOCKER_HOST: 'tcp://127.0.0.1:2375',
      PORTHOLE_AGENT_STATE_DIR: dir,
      PORTHOLE_AGENT_SERVER_CA: join(dir, 'ca.pem'),
      PORTHOLE_AGENT_CHECKIN_INTERVAL: '2',
      PORTHOLE_AGENT_PULL_CONCURRENCY: '1',
    };
    const c = config(['--name', 'flag-name'], env);
    expect(c).toMatchObject({
      serverUrl: 'http://10.0.0.1:8443',
      token: 'from-env',
      name: 'flag-name',
      zone: 'eu',
      listen: { host: '0.0.0.0', port: 5555 },
      advertiseUrl: 'http://gpu-1.internal:5555',
      dockerHost: 'tcp://127.0.0.1:2375',
      stateDir: dir,
      serverCa: 'CA PEM',
      checkinIntervalSeconds: 2,
      pullConcurrency: 1,
    });
  });

  it.each([
    [[], /--server-url .* is required/],
    [['--server-url', 'ftp://x'], /invalid --server-url/],
    [['--server-url', 'http://x', '--listen', '4444'], /invalid --listen/],
    [['--server-url', 'http://x', '--checkin-interval', '0'], /invalid --checkin-interval/],
    [['--server-url', 'http://x', '--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/],
    [['--server-url', 'http://x', '--server-ca', '/nonexistent/ca.pem'], /cannot read \/nonexistent\/ca.pem/],
    [['--server-url', 'http://x', '--bogus'], /bogus/],
  ])('refuses %j with one clear line', (argv, message) => {
    const attempt = () => config(argv);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('parses listen addresses', () => {
    expect(parseListen('127.0.0.1:4444')).toEqual({ host: '127.0.0.1', port: 4444 });
    expect(parseListen('[::1]:4444')).toEqual({ host: '::1', port: 4444 });
    expect(parseListen(':4444')).toEqual({ host: '0.0.0.0', port: 4444 });
    expect(typeof parseListen('localhost')).toBe('string');
    expect(typeof parseListen('h:99999')).toBe('string');
  });
});
