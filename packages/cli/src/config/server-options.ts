import { resolve } from 'node:path';
import type { ServerConfig } from '@porthole/server';
import { logFormatOption } from './log-format.js';
import { ConfigError, checks, type OptionSpec, type OptionValues } from './options.js';

export const commonOptions: OptionSpec[] = [
  {
    flag: 'data-dir',
    env: 'PORTHOLE_DATA_DIR',
    type: 'string',
    default: './porthole-data',
    description: 'where Porthole keeps its state (embedded database, certificate, secrets)',
  },
  {
    flag: 'database-url',
    env: 'DATABASE_URL',
    type: 'string',
    description: 'external PostgreSQL (postgres://…); unset runs the embedded PostgreSQL server',
    check: checks.url(['postgres:', 'postgresql:']),
  },
  {
    flag: 'log-level',
    env: 'PORTHOLE_LOG_LEVEL',
    type: 'string',
    default: 'info',
    description: 'log level',
    check: checks.logLevel,
  },
  logFormatOption,
];

export const serverOptions: OptionSpec[] = [
  {
    flag: 'host',
    env: 'PORTHOLE_HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'address to listen on',
  },
  {
    flag: 'port',
    env: 'PORTHOLE_PORT',
    type: 'string',
    default: '8443',
    description: 'port to listen on',
    check: checks.port,
  },
  ...commonOptions,
  {
    flag: 'redis-url',
    env: 'REDIS_URL',
    type: 'string',
    description: 'Redis for the share bus (redis://…); unset uses an in-process bus',
    check: checks.url(['redis:', 'rediss:']),
  },
  {
    flag: 'tls-cert',
    env: 'PORTHOLE_TLS_CERT',
    type: 'string',
    description: 'PEM certificate file; unset makes a self-signed one in the data dir',
  },
  {
    flag: 'tls-key',
    env: 'PORTHOLE_TLS_KEY',
    type: 'string',
    description: 'PEM private key file for --tls-cert',
  },
  {
    flag: 'insecure-http',
    env: 'PORTHOLE_INSECURE_HTTP',
    type: 'boolean',
    default: 'false',
    description: 'serve plain HTTP (only behind a TLS proxy or for local tests)',
  },
  {
    flag: 'behind-proxy',
    env: 'PORTHOLE_BEHIND_PROXY',
    type: 'boolean',
    default: 'false',
    description: 'trust X-Forwarded-* from --trusted-proxies',
  },
  {
    flag: 'trusted-proxies',
    env: 'PORTHOLE_TRUSTED_PROXIES',
    type: 'string',
    default: '127.0.0.1,::1',
    description: 'comma-separated addresses/CIDRs whose X-Forwarded-* are trusted with --behind-proxy',
  },
  {
    flag: 'public-url',
    env: 'PORTHOLE_PUBLIC_URL',
    type: 'string',
    description:
      'the URL people open Porthole at (https://porthole.example.com); only its origin may open streams and send sign-in requests. Unset: the address this server listens on',
    check: checks.publicUrl,
  },
  {
    flag: 'allowed-origins',
    env: 'PORTHOLE_ALLOWED_ORIGINS',
    type: 'string',
    description: 'comma-separated further origins (scheme://host[:port]) allowed beside the public URL',
    check: checks.origins,
  },
  {
    flag: 'session-ttl-hours',
    env: 'PORTHOLE_SESSION_TTL_HOURS',
    type: 'string',
    default: '12',
    description: 'sign-in session lifetime in hours',
    check: checks.positiveNumber,
  },
  {
    flag: 'checkin-seconds',
    env: 'PORTHOLE_CHECKIN_SECONDS',
    type: 'string',
    default: '5',
    description: 'how often agents check in; an agent is offline after three missed check-ins',
    check: checks.positiveNumber,
  },
  metricsTokenOption('PORTHOLE_METRICS_TOKEN'),
];

/** `--metrics-token`, for the server's and the agent's /metrics: a secret, so not a short one. */
export function metricsTokenOption(env: string): OptionSpec {
  return {
    flag: 'metrics-token',
    env,
    type: 'string',
    description:
      'bearer token that may read /metrics (at least 16 characters); unset: admins and loopback only',
    check: (v) => (v.length >= 16 && !/\s/.test(v) ? undefined : 'must be at least 16 characters, no spaces'),
  };
}

export function toServerConfig(v: OptionValues, env: NodeJS.ProcessEnv): ServerConfig {
  const cert = v['tls-cert'] as string | undefined;
  const key = v['tls-key'] as string | undefined;
  if ((cert && !key) || (key && !cert))
    throw new ConfigError(`invalid --${cert ? 'tls-key' : 'tls-cert'}: --tls-cert and --tls-key go together`);
  const tls: ServerConfig['tls'] = v['insecure-http']
    ? { mode: 'none' }
    : cert && key
      ? { mode: 'files', certFile: resolve(cert), keyFile: resolve(key) }
      : { mode: 'self-signed' };
  const config: ServerConfig = {
    host: v.host as string,
    port: Number(v.port),
    dataDir: resolve(v['data-dir'] as string),
    tls,
    sessionTtlHours: Number(v['session-ttl-hours']),
    checkinSeconds: Number(v['checkin-seconds']),
    trustedProxies: v['behind-proxy']
      ? String(v['trusted-proxies'])
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  };
  if (v['public-url']) config.publicUrl = new URL(v['public-url'] as string).origin;
  if (v['allowed-origins'])
    config.allowedOrigins = String(v['allowed-origins'])
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((o) => new URL(o).origin);
  if (v['database-url']) config.databaseUrl = v['database-url'] as string;
  if (v['redis-url']) config.redisUrl = v['redis-url'] as string;
  if (v['metrics-token']) config.metricsToken = v['metrics-token'] as string;
  if (env.PORTHOLE_ADMIN_PASSWORD) {
    if (env.PORTHOLE_ADMIN_PASSWORD.length < 8)
      throw new ConfigError('invalid PORTHOLE_ADMIN_PASSWORD: must be at least 8 characters');
    config.adminPassword = env.PORTHOLE_ADMIN_PASSWORD;
  }
  return config;
}
