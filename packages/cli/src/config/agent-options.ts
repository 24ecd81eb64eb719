import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { AgentConfig } from '@porthole/agent';
import { logFormatOption } from './log-format.js';
import { ConfigError, checks, type OptionSpec, type OptionValues } from './options.js';
import { metricsTokenOption } from './server-options.js';

/** "127.0.0.1:4444", "[::1]:4444", ":4444" (all addresses). */
export function parseListen(value: string): { host: string; port: number } | string {
  const colon = value.lastIndexOf(':');
  if (colon < 0) return `expected host:port, got '${value}'`;
  const host = value.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portText = value.slice(colon + 1);
  const problem = checks.port(portText);
  if (problem || portText === '') return problem ?? `expected host:port, got '${value}'`;
  return { host: host === '' ? '0.0.0.0' : host, port: Number(portText) };
}

const positiveInteger = (v: string) =>
  /^[1-9]\d*$/.test(v) && Number(v) <= 16 ? undefined : `must be a whole number from 1 to 16, got '${v}'`;

export const agentOptions: OptionSpec[] = [
  {
    flag: 'server-url',
    env: 'PORTHOLE_AGENT_SERVER_URL',
    type: 'string',
    description: 'control plane URL, e.g. https://porthole.example.com (required)',
    check: checks.url(['http:', 'https:']),
  },
  {
    flag: 'token',
    env: 'PORTHOLE_AGENT_TOKEN',
    type: 'string',
    description: 'registration token from Admin → Servers (needed until the identity is saved)',
  },
  {
    flag: 'name',
    env: 'PORTHOLE_AGENT_NAME',
    type: 'string',
    description: 'name shown in the admin area (default: this host name)',
  },
  {
    flag: 'zone',
    env: 'PORTHOLE_AGENT_ZONE',
    type: 'string',
    description: "zone to join (default: the server's default zone)",
  },
  {
    flag: 'listen',
    env: 'PORTHOLE_AGENT_LISTEN',
    type: 'string',
    default: '127.0.0.1:4444',
    description: 'address:port of the agent API the server calls',
    check: (v) => {
      const parsed = parseListen(v);
      return typeof parsed === 'string' ? parsed : undefined;
    },
  },
  {
    flag: 'advertise-url',
    env: 'PORTHOLE_AGENT_ADVERTISE_URL',
    type: 'string',
    description: 'URL the server uses to reach the agent API (default: from --listen)',
    check: checks.url(['http:', 'https:']),
  },
  {
    flag: 'docker-host',
    env: 'PORTHOLE_AGENT_DOCKER_HOST',
    type: 'string',
    default: 'unix:///var/run/docker.sock',
    description: 'Docker endpoint: unix:///path or tcp://host:port',
  },
  {
    flag: 'state-dir',
    env: 'PORTHOLE_AGENT_STATE_DIR',
    type: 'string',
    default: './porthole-agent',
    description: 'where the agent keeps its identity (agent.json, mode 0600)',
  },
  {
    flag: 'server-ca',
    env: 'PORTHOLE_AGENT_SERVER_CA',
    type: 'string',
    description: "PEM file to trust for the server's certificate (e.g. its self-signed one)",
  },
  {
    flag: 'checkin-interval',
    env: 'PORTHOLE_AGENT_CHECKIN_INTERVAL',
    type: 'string',
    default: '5',
    description: 'seconds between check-ins until the server says otherwise',
    check: checks.positiveNumber,
  },
  {
    flag: 'tls-cert',
    env: 'PORTHOLE_AGENT_TLS_CERT',
    type: 'string',
    description: 'PEM certificate file: serve the agent API over HTTPS',
  },
  {
    flag: 'tls-key',
    env: 'PORTHOLE_AGENT_TLS_KEY',
    type: 'string',
    description: 'PEM private key file for --tls-cert',
  },
  {
    flag: 'pull-concurrency',
    env: 'PORTHOLE_AGENT_PULL_CONCURRENCY',
    type: 'string',
    default: '2',
    description: 'images pulled at the same time',
    check: positiveInteger,
  },
  metricsTokenOption('PORTHOLE_AGENT_METRICS_TOKEN'),
  {
    flag: 'log-level',
    env: 'PORTHOLE_AGENT_LOG_LEVEL',
    type: 'string',
    default: 'info',
    description: 'log level',
    check: checks.logLevel,
  },
  logFormatOption,
];

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(resolve(path), 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`invalid --${flag}: cannot read ${path} (${reason})`);
  }
}

export function toAgentConfig(v: OptionValues): AgentConfig {
  const serverUrl = v['server-url'];
  if (typeof serverUrl !== 'string' || serverUrl === '') {
    throw new ConfigError('--server-url (or PORTHOLE_AGENT_SERVER_URL) is required');
  }
  const listen = parseListen(String(v.listen));
  if (typeof listen === 'string') throw new ConfigError(`invalid --listen: ${listen}`);
  const cert = v['tls-cert'] as string | undefined;
  const key = v['tls-key'] as string | undefined;
  if ((cert && !key) || (key && !cert))
    throw new ConfigError(`invalid --${cert ? 'tls-key' : 'tls-cert'}: --tls-cert and --tls-key go together`);
  const name = typeof v.name === 'string' && v.name.trim() !== '' ? v.name.trim() : hostname();
  if (name.length > 128) throw new ConfigError('invalid --name: must be at most 128 characters');
  const config: AgentConfig = {
    serverUrl,
    name,
    listen,
    stateDir: resolve(String(v['state-dir'])),
    checkinIntervalSeconds: Number(v['checkin-interval']),
    pullConcurrency: Number(v['pull-concurrency']),
  };
  if (typeof v.token === 'string' && v.token !== '') config.token = v.token;
  if (typeof v.zone === 'string' && v.zone.trim() !== '') config.zone = v.zone.trim();
  if (typeof v['advertise-url'] === 'string') config.advertiseUrl = v['advertise-url'];
  if (typeof v['docker-host'] === 'string' && v['docker-host'] !== '') config.dockerHost = v['docker-host'];
  if (typeof v['metrics-token'] === 'string' && v['metrics-token'] !== '')
    config.metricsToken = v['metrics-token'];
  if (typeof v['server-ca'] === 'string') config.serverCa = readPem(v['server-ca'], 'server-ca');
  if (cert && key) config.tls = { cert: readPem(cert, 'tls-cert'), key: readPem(key, 'tls-key') };
  return config;
}
