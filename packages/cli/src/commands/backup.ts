import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BackupService, openConfiguredDatabase } from '@porthole/server';
import { ConfigError, type OptionSpec } from '../config/options.js';
import { commonOptions } from '../config/server-options.js';
import { createLogger, resolveLogFormat } from '../logger.js';
import { runCommand } from '../run-command.js';

export const summary = 'write a backup of the database and the data dir secrets';

const specs: OptionSpec[] = [
  { flag: 'out', type: 'string', description: 'the backup file to write (mode 0600; replaced if it exists)' },
  ...commonOptions,
];

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'backup',
    'Usage: porthole backup --out <file> [options]',
    specs,
    argv,
    async (values) => {
      const out = values.out as string | undefined;
      if (!out) throw new ConfigError('missing --out <file>');
      const databaseUrl = values['database-url'] as string | undefined;
      const dataDir = resolve(values['data-dir'] as string);
      // Without this, a mistyped --data-dir would start (and back up) a brand-new empty cluster.
      if (!databaseUrl && !(await exists(join(dataDir, 'postgres.json'))))
        throw new ConfigError(`invalid --data-dir: ${dataDir} holds no embedded Porthole database`);
      const logger = createLogger(
        values['log-level'] === 'info' ? 'warn' : (values['log-level'] as string),
        resolveLogFormat(values['log-format'], Boolean(process.stdout.isTTY)),
      );
      // Beside a running `porthole up` this reads its embedded database; otherwise it starts it.
      const db = await openConfiguredDatabase({ databaseUrl, dataDir, share: true, poolSize: 1 }, logger);
      try {
        const result = await new BackupService(dataDir).backup(db, resolve(out));
        const files = result.files.length > 0 ? result.files.join(', ') : 'none';
        process.stdout.write(
          `backup written to ${result.file} (installation ${result.installationId}, schema at ${result.migration}, ${result.tables} tables, files: ${files})\n`,
        );
        return 0;
      } finally {
        await db.close();
      }
    },
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
