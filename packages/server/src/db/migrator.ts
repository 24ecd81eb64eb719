import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Db } from './database.js';

const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Plain SQL files, applied in name order; one SQL dialect everywhere (Postgres). */
class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(join(this.dir, file), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = {
        up: async (db) => {
          await sql.raw(text).execute(db);
        },
      };
    }
    return migrations;
  }
}

export interface MigrationOutcome {
  applied: string[];
}

/**
 * Kysely's migrator on Postgres holds an advisory lock and runs all pending migrations in one
 * transaction, so two servers starting together apply them once and a kill mid-way leaves
 * the schema as it was before. `dir` (tests) replaces the shipped migrations directory.
 */
export async function migrateToLatest(db: Db, dir: string = migrationsDir): Promise<MigrationOutcome> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(dir) });
  return outcome(await migrator.migrateToLatest());
}

/** The names of the migrations this Porthole ships, in the order they apply. */
export async function knownMigrations(dir: string = migrationsDir): Promise<string[]> {
  return Object.keys(await new SqlFileMigrationProvider(dir).getMigrations()).sort();
}

/**
 * Applies the pending migrations up to and including `name` (a restore brings its target to the
 * level of the backup's rows, and the next start applies the rest, converting them as usual).
 */
export async function migrateUpTo(
  db: Db,
  name: string,
  dir: string = migrationsDir,
): Promise<MigrationOutcome> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(dir) });
  return outcome(await migrator.migrateTo(name));
}

function outcome(result: MigrationResultSet): MigrationOutcome {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return {
    applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
  };
}
