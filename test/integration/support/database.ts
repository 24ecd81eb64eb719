import pg from 'pg';

/** The external test server (`source .test-services/env`), a Debian PostgreSQL cluster. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run `source .test-services/env` first');
  return url;
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, ending whatever connections are still open on it. */
  drop(): Promise<void>;
}

async function onServer<T>(serverUrl: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, uniquely named database on the server `serverUrl` points at (by default the external
 * test server); `drop` removes it.
 */
export async function createTestDatabase(
  prefix = 'foundation',
  serverUrl: string = testDatabaseUrl(),
): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** Runs one query with a short-lived client (assertions that must not share the app's pool). */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  return onServer(url, async (c) => (await c.query<R>(text, values)).rows);
}
