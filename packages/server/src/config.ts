import type { TlsConfig } from './http/tls.js';

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  tls: TlsConfig;
  /** Unset: Porthole runs its own embedded PostgreSQL server in `<dataDir>/postgres`. */
  databaseUrl?: string;
  /** Unset: the share bus is in-process. */
  redisUrl?: string;
  adminPassword?: string;
  sessionTtlHours: number;
  trustedProxies: string[];
  /** How often agents check in; an agent is offline after three missed check-ins. Default 5. */
  checkinSeconds?: number;
  /** Bearer token that may read /metrics (besides admin API keys, administrators and loopback). */
  metricsToken?: string;
}
