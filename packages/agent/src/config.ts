import { hostname } from 'node:os';

/** Everything `porthole agent` (or `porthole up`, in-process) needs to run an agent. */
export interface AgentConfig {
  /** Control plane base URL, e.g. https://porthole.example.com. */
  serverUrl: string;
  /** Registration token; only needed until the identity is saved in `stateDir`. */
  token?: string;
  /** Name shown in the admin area; registering again under the same name keeps the agent's row. */
  name: string;
  /** Zone name; the server's default zone when absent. */
  zone?: string;
  /** Where the agent API listens. Port 0 picks a free port (tests, in-process use). */
  listen: { host: string; port: number };
  /** URL the server uses to reach this agent's API; derived from `listen` when absent. */
  advertiseUrl?: string;
  /** unix:///path or tcp://host:port; the local socket when absent. */
  dockerHost?: string;
  /** Holds agent.json (identity and secret, mode 0600). */
  stateDir: string;
  /** PEM certificate(s) to trust for the server, e.g. its self-signed certificate. */
  serverCa?: string;
  checkinIntervalSeconds: number;
  /** Serve the agent API over HTTPS with these PEM files; plain HTTP when absent. */
  tls?: { cert: string; key: string };
  /** Images pulled at the same time; default 2. */
  pullConcurrency?: number;
  /** Bearer token that may read /metrics from anywhere; without it, loopback only. */
  metricsToken?: string;
}

export const DEFAULT_PULL_CONCURRENCY = 2;

/** "http://127.0.0.1:4444" from the address the API actually bound. */
export function agentUrl(config: AgentConfig, boundPort: number): string {
  if (config.advertiseUrl) return config.advertiseUrl;
  const scheme = config.tls ? 'https' : 'http';
  const wildcard = ['0.0.0.0', '::', ''].includes(config.listen.host);
  const host = wildcard ? hostname() : config.listen.host;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
}
