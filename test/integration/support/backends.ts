import { type OpenedDatabase, openConfiguredDatabase } from '@porthole/server';
import pino from 'pino';
import { findRunningEmbedded } from '../../../packages/server/src/db/embedded-postgres.js';
import { createTestDatabase, type TestDatabase, testDatabaseUrl } from './database.js';
import { TempDirs } from './temp.js';

export type BackendName = 'embedded' | 'external';
export const backendNames: BackendName[] = ['embedded', 'external'];

export const silentLogger = pino({ level: 'silent' });

/**
 * One PostgreSQL server to run data-layer tests against: Porthole's embedded server (started in a
 * temporary data dir, as `porthole up` would) or the external test server. `main` is the database
 * Porthole itself opened; `fresh()` makes more empty databases on the same server.
 */
export interface Backend {
  name: BackendName;
  main: OpenedDatabase;
  /** The URL of `main`. */
  mainUrl: string;
  /** Set for the embedded backend. */
  dataDir?: string;
  fresh(): Promise<TestDatabase>;
  close(): Promise<void>;
}

export async function openBackend(name: BackendName): Promise<Backend> {
  const temps = new TempDirs();
  const created: TestDatabase[] = [];
  let main: OpenedDatabase;
  let mainUrl: string;
  let serverUrl: string;
  let dataDir: string | undefined;
  if (name === 'embedded') {
    dataDir = await temps.make('porthole-embedded-');
    main = await openConfiguredDatabase({ dataDir }, silentLogger);
    const url = await findRunningEmbedded(dataDir);
    if (!url) throw new Error('the embedded server is not running after openConfiguredDatabase');
    mainUrl = url;
    serverUrl = url;
  } else {
    const db = await createTestDatabase('fdn_main');
    created.push(db);
    main = await openConfiguredDatabase({ databaseUrl: db.url, dataDir: await temps.make() }, silentLogger);
    mainUrl = db.url;
    serverUrl = testDatabaseUrl();
  }
  const backend: Backend = {
    name,
    main,
    mainUrl,
    async fresh() {
      const db = await createTestDatabase('fdn', serverUrl);
      created.push(db);
      return db;
    },
    async close() {
      await main.close();
      // On the embedded server the databases went with it; the external ones are dropped.
      if (name === 'external') await Promise.all(created.map((d) => d.drop()));
      await temps.cleanup();
    },
  };
  if (dataDir) backend.dataDir = dataDir;
  return backend;
}
