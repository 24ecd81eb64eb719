import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  /** Fails fast (bounded) when the server is unreachable: health checks rely on it. */
  ping(timeoutMs?: number): Promise<void>;
  /** A connection outside the pool, for a session-level lock held as long as the process lives. */
  dedicated(): DedicatedConnection;
  /** Connections of the pool now: open, idle among them, and queries waiting for one. */
  poolUse(): PoolUse;
  /** A raw client outside the pool, for COPY streams (backup, restore); the caller connects and ends it. */
  rawClient(): pg.Client;
  close(): Promise<void>;
}

export interface PoolUse {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface DedicatedConnection {
  connect(): Promise<void>;
  query<R>(text: string, values?: unknown[]): Promise<R[]>;
  /** Called once if the connection breaks (server restart, backend terminated, network). */
  onError(fn: (err: Error) => void): void;
  end(): Promise<void>;
}

export interface DatabaseLogger {
  warn(obj: object, msg: string): void;
}

// timestamptz → Date, bigint → number (counts and byte sizes here stay far below 2^53).
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export function openDatabase(url: string, log?: DatabaseLogger, poolSize = 10): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'porthole',
  });
  // An idle client dying (database restart) must not crash the process; the pool replaces it.
  pool.on('error', (err) => log?.warn({ err: err.message }, 'database connection lost'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    async ping(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    dedicated: () => dedicatedConnection(url),
    poolUse: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: poolSize,
    }),
    rawClient: () => new pg.Client({ connectionString: url, application_name: 'porthole-backup' }),
    close: () => db.destroy(),
  };
}

function dedicatedConnection(url: string): DedicatedConnection {
  const client = new pg.Client({ connectionString: url, application_name: 'porthole-lease' });
  let broken: ((err: Error) => void) | undefined;
  // Without a listener, a broken idle connection would throw from an 'error' event.
  client.on('error', (err) => {
    const fn = broken;
    broken = undefined;
    fn?.(err);
  });
  return {
    connect: async () => {
      await client.connect();
    },
    query: async <R>(text: string, values?: unknown[]) => (await client.query(text, values)).rows as R[],
    onError: (fn) => {
      broken = fn;
    },
    end: () => client.end(),
  };
}

/** Redacts the password of a connection URL for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
