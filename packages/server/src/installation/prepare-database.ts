import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrator.js';
import { argon2Hasher } from '../platform/password-hasher.js';
import { ensureDefaults } from './ensure-defaults.js';
import { InstallationRepo } from './installation-repo.js';
import { type FirstStart, InstallationService } from './installation-service.js';

/**
 * Brings a database to the current schema and, on its first use, creates the installation
 * identity, system groups and first administrator; on every start, the defaults (zone, workspaces)
 * that are missing. Every entry point (server, CLI) calls this.
 */
export async function prepareDatabase(
  db: Db,
  opts: {
    dataDir: string;
    adminPassword?: string | undefined;
    /** false: the caller shows the generated password itself (`porthole up`'s banner). */
    printFirstAdmin?: boolean;
  },
  logger: Pick<Logger, 'info'>,
): Promise<{ installationId: string; firstStart?: FirstAdmin }> {
  const { applied } = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ applied }, 'database migrated');
  const result = await new InstallationService(new InstallationRepo(db), argon2Hasher).bootstrap(
    opts.adminPassword,
  );
  const firstStart = result.firstStart
    ? await announceFirstAdmin(opts.dataDir, result.firstStart, logger, opts.printFirstAdmin ?? true)
    : undefined;
  const defaults = await ensureDefaults(db);
  if (defaults.zoneCreated || defaults.imagesCreated.length > 0) logger.info(defaults, 'defaults created');
  return { installationId: result.installationId, ...(firstStart ? { firstStart } : {}) };
}

/** The first administrator of a new installation; `passwordFile` only when the password was generated. */
export interface FirstAdmin extends FirstStart {
  passwordFile?: string;
}

async function announceFirstAdmin(
  dataDir: string,
  first: FirstStart,
  logger: Pick<Logger, 'info'>,
  print: boolean,
): Promise<FirstAdmin> {
  if (!first.generatedPassword) {
    logger.info(
      { username: first.adminUsername },
      'first administrator created with PORTHOLE_ADMIN_PASSWORD',
    );
    return first;
  }
  const file = join(dataDir, 'initial-admin-password');
  await writeFile(file, `${first.generatedPassword}\n`, { mode: 0o600 });
  // Printed once, on the terminal only: the log keeps just where the password was written.
  if (print)
    process.stdout.write(
      `\n  First administrator: ${first.adminUsername}\n  Password:            ${first.generatedPassword}\n  (also written to ${file})\n\n`,
    );
  logger.info({ username: first.adminUsername, file }, 'first administrator created');
  return { ...first, passwordFile: file };
}
