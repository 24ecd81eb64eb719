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
  /**
   * The origin browsers use to reach Porthole (https://porthole.example.com). Unset: the URL the
   * server listens on (with localhost for a loopback or wildcard address).
   */
  publicUrl?: string;
  /** More origins allowed to open WebSockets and send cookie requests (scheme://host[:port]). */
  allowedOrigins?: string[];
  /** How often agents check in; an agent is offline after three missed check-ins. Default 5. */
  checkinSeconds?: number;
  /** Bearer token that may read /metrics (besides admin API keys, administrators and loopback). */
  metricsToken?: string;
}
