import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@porthole/server';
import pg from 'pg';
import pino from 'pino';
import { ApiClient } from '../../support/http.js';

export const ADMIN_USERNAME = 'admin@porthole.local';
export const ADMIN_PASSWORD = 'admin-password-for-tests';

function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run `source .test-services/env` first');
  return url;
}

/** A fresh, uniquely named database on the test server; `drop` removes it. */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = testDatabaseUrl();
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  stop(): Promise<void>;
}

/** The real server on a free port over plain HTTP, against `databaseUrl`. */
export async function startTestServer(databaseUrl: string): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'porthole-admin-'));
  const server = await startServer(
    {
      host: '127.0.0.1',
      port: 0,
      tls: { mode: 'none' },
      dataDir,
      databaseUrl,
      adminPassword: ADMIN_PASSWORD,
      sessionTtlHours: 12,
      trustedProxies: [],
    },
    pino({ level: 'silent' }),
  );
  return {
    server,
    dataDir,
    async stop() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The administrator, signed in. */
export function adminClient(server: RunningServer): Promise<ApiClient> {
  return new ApiClient(server.url).signIn(ADMIN_USERNAME, ADMIN_PASSWORD);
}
