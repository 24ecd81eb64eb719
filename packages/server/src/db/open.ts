import { type DatabaseHandle, type DatabaseLogger, openDatabase, redactUrl } from './database.js';
import { type EmbeddedLogger, findRunningEmbedded, startEmbeddedPostgres } from './embedded-postgres.js';

export interface OpenedDatabase extends DatabaseHandle {
  kind: 'embedded' | 'postgres';
}

/**
 * Opens the configured database: an external Postgres when a URL is given; otherwise the
 * embedded server, reusing one another Porthole process runs on this data dir when `share` is set
 * (CLI commands beside `porthole up`), else starting it (and stopping it on close).
 */
export async function openConfiguredDatabase(
  opts: { databaseUrl?: string | undefined; dataDir: string; share?: boolean; poolSize?: number },
  log: EmbeddedLogger & DatabaseLogger,
): Promise<OpenedDatabase> {
  if (opts.databaseUrl) {
    const handle = openDatabase(opts.databaseUrl, log, opts.poolSize);
    await pingOrExplain(handle, redactUrl(opts.databaseUrl));
    return { ...handle, kind: 'postgres' };
  }
  const running = opts.share ? await findRunningEmbedded(opts.dataDir) : null;
  if (running) {
    const handle = openDatabase(running, log, opts.poolSize);
    await pingOrExplain(handle, 'the embedded database');
    return { ...handle, kind: 'embedded' };
  }
  const embedded = await startEmbeddedPostgres(opts.dataDir, log);
  const handle = openDatabase(embedded.url, log, opts.poolSize);
  await pingOrExplain(handle, 'the embedded database');
  return {
    ...handle,
    kind: 'embedded',
    close: async () => {
      await handle.close();
      await embedded.stop();
    },
  };
}

async function pingOrExplain(handle: DatabaseHandle, where: string): Promise<void> {
  try {
    await handle.ping(5_000);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw new Error(`cannot reach ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
