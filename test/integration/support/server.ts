import { type RunningServer, type ServerConfig, startServer } from '@porthole/server';
import { silentLogger } from './backends.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { TempDirs } from './temp.js';

export const ADMIN_USERNAME = 'admin@porthole.local';
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestServer {
  server: RunningServer;
  database: TestDatabase;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * `startServer` in this process on a free loopback port, on a fresh database of the external test
 * server (or `database` when given; then `stop` leaves it alone). Plain HTTP unless `tls` says otherwise.
 */
export async function startTestServer(
  overrides: Partial<ServerConfig> = {},
  database?: TestDatabase,
): Promise<TestServer> {
  const temps = new TempDirs();
  const db = database ?? (await createTestDatabase('fdn_http'));
  const dataDir = await temps.make('porthole-server-');
  try {
    const server = await startServer(
      {
        host: '127.0.0.1',
        port: 0,
        tls: { mode: 'none' },
        dataDir,
        databaseUrl: db.url,
        adminPassword: ADMIN_PASSWORD,
        sessionTtlHours: 12,
        trustedProxies: [],
        ...overrides,
      },
      silentLogger,
    );
    return {
      server,
      database: db,
      dataDir,
      async stop() {
        await server.close();
        if (!database) await db.drop();
        await temps.cleanup();
      },
    };
  } catch (err) {
    if (!database) await db.drop();
    await temps.cleanup();
    throw err;
  }
}
