import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BackupService, openConfiguredDatabase } from '@porthole/server';
import { ConfigError, type OptionSpec } from '../config/options.js';
import { commonOptions } from '../config/server-options.js';
import { createLogger, resolveLogFormat } from '../logger.js';
import { runCommand } from '../run-command.js';

export const summary = 'restore a backup into an empty data dir or database';

const specs: OptionSpec[] = [
  {
    flag: 'force',
    type: 'boolean',
    default: 'false',
    description: 'replace an existing installation (every row and secret) with the backup',
  },
  ...commonOptions,
];

const usage = 'Usage: porthole restore <file> [--force] [options]';

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'restore',
    usage,
    specs,
    argv,
    async (values, positionals) => {
      const given = positionals[0];
      if (!given) throw new ConfigError('missing the backup file (porthole restore <file>)');
      const file = resolve(given);
      if (
        !(await access(file).then(
          () => true,
          () => false,
        ))
      )
        throw new ConfigError(`cannot read ${file}: no such file`);
      const dataDir = resolve(values['data-dir'] as string);
      const service = new BackupService(dataDir);
      // The whole file is checked before anything is opened: a bad one leaves even a fresh data dir empty.
      const manifest = await service.verify(file).catch((err: unknown) => {
        throw new Error(`${given}: ${err instanceof Error ? err.message : String(err)}`);
      });
      const logger = createLogger(
        values['log-level'] === 'info' ? 'warn' : (values['log-level'] as string),
        resolveLogFormat(values['log-format'], Boolean(process.stdout.isTTY)),
      );
      // Never shared: restoring under a running Porthole would leave it serving from stale memory.
      const db = await openConfiguredDatabase(
        { databaseUrl: values['database-url'] as string | undefined, dataDir, poolSize: 1 },
        logger,
      );
      try {
        const result = await service.restore(db, file, { force: values.force === true, verified: manifest });
        const files = result.files.length > 0 ? result.files.join(', ') : 'none';
        process.stdout.write(
          `restored installation ${result.installationId} (schema at ${result.migration}, ${result.rows} rows, files: ${files}); start it with porthole up or porthole server\n`,
        );
        return 0;
      } finally {
        await db.close();
      }
    },
    1,
  );
}
