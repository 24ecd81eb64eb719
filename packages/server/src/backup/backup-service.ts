import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { DatabaseHandle } from '../db/database.js';
import { knownMigrations, migrateUpTo } from '../db/migrator.js';
import { version } from '../version.js';
import {
  ArchiveReader,
  ArchiveWriter,
  BACKUP_FORMAT,
  BackupFormatError,
  type Manifest,
} from './backup-archive.js';
import { BackupRepo, type TableShape } from './backup-repo.js';
import { allowedFile, type DataDirFile, DataDirFiles, MAX_FILE_BYTES } from './data-dir-files.js';

export interface BackupSummary {
  file: string;
  installationId: string;
  migration: string;
  tables: number;
  files: string[];
}

export interface RestoreSummary {
  installationId: string;
  migration: string;
  rows: number;
  files: string[];
  /** Migrations applied to the target to reach the backup's level. */
  migrated: string[];
}

/** The target holds an installation already: restoring needs `force`. */
export class RestoreRefusedError extends Error {}

/** Writes backups of an installation (database and data-dir files) and restores them. */
export class BackupService {
  private readonly files: DataDirFiles;

  constructor(dataDir: string) {
    this.files = new DataDirFiles(dataDir);
  }

  /** Dumps the database from one read-only snapshot while servers keep running. */
  async backup(database: DatabaseHandle, outFile: string): Promise<BackupSummary> {
    const repo = await BackupRepo.connect(database);
    // Written beside the target and renamed at the end: a failed run leaves no half backup behind.
    const temp = `${outFile}.partial-${process.pid}`;
    try {
      await repo.beginSnapshot();
      const snap = await repo.snapshot();
      if (!snap.installationId || !snap.migration)
        throw new Error('the database holds no Porthole installation (has Porthole ever started on it?)');
      const files = await this.files.read();
      const manifest: Manifest = {
        format: BACKUP_FORMAT,
        portholeVersion: version,
        createdAt: new Date().toISOString(),
        migration: snap.migration,
        installationId: snap.installationId,
        tables: snap.tables,
        sequences: snap.sequences,
        files: files.map((f) => ({ path: f.path, mode: f.mode })),
      };
      const gzip = createGzip();
      const out = createWriteStream(temp, { mode: 0o600, flags: 'wx' });
      const written = pipeline(gzip, out);
      // Keeps an early write failure from being an unhandled rejection before it is awaited.
      written.catch(() => undefined);
      const writer = await ArchiveWriter.start(gzip, manifest);
      for (const f of files) {
        await writer.beginPart({ kind: 'file', path: f.path, mode: f.mode });
        await writer.data(f.content);
        await writer.endPart();
      }
      for (const table of snap.tables) {
        await writer.beginPart({ kind: 'table', ...table });
        for await (const chunk of repo.copyOut(table)) await writer.data(chunk as Buffer);
        await writer.endPart();
      }
      await writer.finish();
      gzip.end();
      await written;
      await repo.commit();
      await chmod(temp, 0o600);
      await rename(temp, outFile);
      return {
        file: outFile,
        installationId: snap.installationId,
        migration: snap.migration,
        tables: snap.tables.length,
        files: files.map((f) => f.path),
      };
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    } finally {
      await repo.close().catch(() => undefined);
    }
  }

  /**
   * Reads the whole file and checks every checksum without touching any database, and that this
   * Porthole knows the backup's schema. A restore calls it before it opens its target.
   */
  async verify(file: string): Promise<Manifest> {
    const input = openGunzipped(file);
    try {
      const reader = new ArchiveReader(input);
      const manifest = await reader.manifest();
      const known = await knownMigrations();
      if (!known.includes(manifest.migration))
        throw new BackupFormatError(
          `the backup is from a newer Porthole (${manifest.portholeVersion}, schema at ${manifest.migration}); this Porthole ${version} knows migrations up to ${known.at(-1) ?? 'none'}: upgrade it first`,
        );
      for await (const part of reader.parts()) for await (const _ of part.data);
      return manifest;
    } finally {
      // A reader that gave up half-way would otherwise keep the file open.
      input.destroy();
    }
  }

  /**
   * Restores into an empty target, or (force) over an existing installation (`verified`: what
   * `verify` returned for this file, so it is not read a second time before the load). The target is first
   * migrated to the backup's level, then every row loads in one transaction that commits only
   * after the file's last checksum matched, so a bad file leaves the target's rows as they were.
   */
  async restore(
    database: DatabaseHandle,
    file: string,
    opts: { force: boolean; verified?: Manifest },
  ): Promise<RestoreSummary> {
    const manifest = opts.verified ?? (await this.verify(file));
    const repo = await BackupRepo.connect(database);
    try {
      const before = await repo.targetState();
      const presentFiles = await this.files.present();
      if (!opts.force && (before.nonEmpty.length > 0 || presentFiles.length > 0)) {
        const what = [...before.nonEmpty.map((t) => `table ${t}`), ...presentFiles].slice(0, 5).join(', ');
        throw new RestoreRefusedError(
          `the target is not empty (${what}); restore into an empty data dir or database, or use --force to replace it`,
        );
      }
      const known = await knownMigrations();
      const at = before.migration === null ? -1 : known.indexOf(before.migration);
      const wanted = known.indexOf(manifest.migration);
      if (before.migration !== null && (at < 0 || at > wanted))
        throw new RestoreRefusedError(
          `the target database is at migration ${before.migration}, newer than the backup's ${manifest.migration}; restore into an empty database`,
        );
      const migrated = at < wanted ? (await migrateUpTo(database.db, manifest.migration)).applied : [];
      const target = await repo.targetState();
      checkShapes(manifest.tables, target.tables);
      const { rows, files } = await this.load(repo, file, manifest, target.tables);
      return {
        installationId: manifest.installationId,
        migration: manifest.migration,
        rows,
        files,
        migrated,
      };
    } finally {
      await repo.close().catch(() => undefined);
    }
  }

  private async load(
    repo: BackupRepo,
    file: string,
    expected: Manifest,
    targetTables: TableShape[],
  ): Promise<{ rows: number; files: string[] }> {
    const input = openGunzipped(file);
    const reader = new ArchiveReader(input);
    await repo.beginLoad();
    let staged: Awaited<ReturnType<DataDirFiles['stage']>> | undefined;
    try {
      if (JSON.stringify(await reader.manifest()) !== JSON.stringify(expected))
        throw new BackupFormatError('the backup file changed while it was being restored');
      await repo.truncate(targetTables.map((t) => t.name));
      let rows = 0;
      const files: DataDirFile[] = [];
      for await (const part of reader.parts()) {
        if (part.header.kind === 'table') {
          const copy = repo.copyIn(part.header);
          await pipeline(Readable.from(part.data), copy);
          rows += copy.rowCount;
        } else {
          files.push(await collectFile(part.header.path, part.header.mode, part.data));
        }
      }
      for (const s of expected.sequences) await repo.setSequence(s);
      staged = await this.files.stage(files);
      await repo.commit();
      await staged.commit();
      return { rows, files: files.map((f) => f.path) };
    } catch (err) {
      await repo.rollback().catch(() => undefined);
      await staged?.abort();
      throw err;
    } finally {
      input.destroy();
    }
  }
}

function openGunzipped(file: string): Readable {
  const gunzip = createGunzip();
  const source = createReadStream(file);
  // The read stream's errors (a missing file) reach the reader through the gunzip stream.
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  finished(gunzip).then(
    () => source.destroy(),
    () => source.destroy(),
  );
  return gunzip;
}

async function collectFile(path: string, mode: number, data: AsyncIterable<Buffer>): Promise<DataDirFile> {
  if (!allowedFile(path)) throw new BackupFormatError(`damaged backup: unexpected file ${path}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of data) {
    size += chunk.length;
    if (size > MAX_FILE_BYTES) throw new BackupFormatError(`damaged backup: file ${path} is too large`);
    chunks.push(chunk);
  }
  return { path, mode, content: Buffer.concat(chunks) };
}

/** After migrating, the target must have each backed-up table with the same columns. */
function checkShapes(backup: TableShape[], target: TableShape[]): void {
  const byName = new Map(target.map((t) => [t.name, new Set(t.columns)]));
  for (const t of backup) {
    const columns = byName.get(t.name);
    const missing = columns ? t.columns.filter((c) => !columns.has(c)) : ['(the table)'];
    if (missing.length > 0)
      throw new Error(
        `the target's schema does not match the backup: ${t.name} lacks ${missing.join(', ')} (a table or column created outside Porthole's migrations?)`,
      );
  }
}
