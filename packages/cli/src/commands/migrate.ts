import { resolve } from 'node:path';
import { migrateToLatest, openConfiguredDatabase } from '@porthole/server';
import { commonOptions } from '../config/server-options.js';
import { createLogger, resolveLogFormat } from '../logger.js';
import { runCommand } from '../run-command.js';

export const summary = 'apply database migrations and exit';

export function run(argv: string[]): Promise<number> {
  return runCommand('migrate', 'Usage: porthole migrate [options]', commonOptions, argv, async (values) => {
    const format = resolveLogFormat(values['log-format'], Boolean(process.stdout.isTTY));
    const logger = createLogger(values['log-level'] as string, format);
    const db = await openConfiguredDatabase(
      {
        databaseUrl: values['database-url'] as string | undefined,
        dataDir: resolve(values['data-dir'] as string),
        share: true,
        poolSize: 2,
      },
      logger,
    );
    try {
      const { applied } = await migrateToLatest(db.db);
      process.stdout.write(
        applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
      );
      return 0;
    } finally {
      await db.close();
    }
  });
}
