import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { livePostmaster, runPorthole, stopAllPorthole, stopLeftoverPostgres } from '../support/cli.js';
import { createTestDatabase, query, type TestDatabase } from '../support/database.js';
import { TempDirs } from '../support/temp.js';
import { contentsOf, expectOneLineFailure, modeOf, populate, rewriteBackup, stop, up } from './support.js';

// Backups taken beside a running `porthole up`, restored onto a new target, served again.
const temps = new TempDirs();
const external: TestDatabase[] = [];
const embeddedDirs: string[] = [];

afterEach(async () => {
  await stopAllPorthole();
});
afterAll(async () => {
  await stopAllPorthole();
  await Promise.all(embeddedDirs.map((d) => stopLeftoverPostgres(d)));
  await Promise.all(external.map((d) => d.drop()));
  await temps.cleanup();
});

async function dataDir(prefix: string): Promise<string> {
  const dir = join(await temps.make(prefix), 'data');
  embeddedDirs.push(dir);
  return dir;
}

describe('backup and restore with the embedded database', () => {
  it('restores users, workspaces, the installation id and the secrets onto a fresh data dir', async () => {
    const source = await dataDir('porthole-backup-src-');
    const a = await up(source);
    const adminPassword = (await readFile(join(source, 'initial-admin-password'), 'utf8')).trim();
    const admin = await a.browser().signIn('admin@porthole.local', adminPassword);
    await populate(admin, 'bob');
    const before = await contentsOf(admin);

    // Taken while `up` runs, from its embedded server.
    const file = join(await temps.make('porthole-backup-file-'), 'porthole.backup');
    const backup = await runPorthole(['backup', '--data-dir', source, '--out', file]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(`installation ${a.installationId}`);
    expect(await modeOf(file)).toBe(0o600);
    await stop(a.proc);
    // With nothing running, the backup starts the embedded server itself and stops it again.
    const offline = await runPorthole(['backup', '--data-dir', source, '--out', `${file}.offline`]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain(`installation ${a.installationId}`);
    expect(await livePostmaster(source)).toBeNull();

    const target = await dataDir('porthole-backup-dst-');
    const restore = await runPorthole(['restore', file, '--data-dir', target]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^restored installation [0-9a-f-]{36} \(schema at \d{4}_\w+, \d+ rows/);
    // The installation's files come back with their contents and modes; the cluster's own do not.
    for (const [path, mode] of [
      ['tls-cert.pem', 0o644],
      ['tls-key.pem', 0o600],
      ['initial-admin-password', 0o600],
      ['agent/agent.json', 0o600],
    ] as const) {
      expect(await readFile(join(target, path), 'utf8'), path).toBe(
        await readFile(join(source, path), 'utf8'),
      );
      expect(await modeOf(join(target, path)), path).toBe(mode);
    }
    expect(await readFile(join(target, 'postgres.json'), 'utf8')).not.toBe(
      await readFile(join(source, 'postgres.json'), 'utf8'),
    );

    // The same file loads into the external test server, an older PostgreSQL than the embedded
    // one: COPY's text format carries across major versions.
    const crossDb = await createTestDatabase('backup_cross');
    external.push(crossDb);
    const cross = await runPorthole([
      'restore',
      file,
      '--data-dir',
      await temps.make('porthole-backup-cross-'),
      '--database-url',
      crossDb.url,
    ]);
    expect(cross.code, cross.stderr).toBe(0);
    const crossUsers = await query<{ username: string }>(crossDb.url, 'SELECT username FROM users');
    expect(crossUsers.map((u) => u.username).sort()).toEqual(before.users);

    const b = await up(target);
    expect(b.installationId).toBe(a.installationId);
    expect(b.proc.stdout).not.toMatch(/Password:/); // not a first start
    const restoredAdmin = await b.browser().signIn('admin@porthole.local', adminPassword);
    expect(await contentsOf(restoredAdmin)).toEqual(before);
    await b.browser().signIn('bob@example.com', 'bob-password-1');
    const info = await restoredAdmin.expect<{ installationId: string }>(200, 'GET', '/api/admin/system-info');
    expect(info.installationId).toBe(a.installationId);

    // Refused while the target's Porthole runs, and on a non-empty target without --force.
    expectOneLineFailure(
      await runPorthole(['restore', file, '--data-dir', target]),
      1,
      /in use by another Porthole/,
    );
    await populate(restoredAdmin, 'carol');
    await stop(b.proc);
    expectOneLineFailure(
      await runPorthole(['restore', file, '--data-dir', target]),
      1,
      /^porthole restore: the target is not empty \(table .*--force/,
    );

    // --force replaces everything: carol, made after the backup, is gone again.
    const forced = await runPorthole(['restore', file, '--data-dir', target, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    const c = await up(target);
    expect(c.installationId).toBe(a.installationId);
    const again = await c.browser().signIn('admin@porthole.local', adminPassword);
    expect(await contentsOf(again)).toEqual(before);
    expect((await c.browser().login('carol@example.com', 'carol-password-1')).status).toBe(401);
    await stop(c.proc);
  });
});

describe('backup and restore with DATABASE_URL', () => {
  it('restores into a fresh database, refuses a non-empty one, and a failed load changes nothing', async () => {
    const source = await createTestDatabase('backup_src');
    const target = await createTestDatabase('backup_dst');
    external.push(source, target);
    const env = { DATABASE_URL: source.url, PORTHOLE_ADMIN_PASSWORD: 'external-admin-pw' };
    const sourceDir = await temps.make('porthole-backup-ext-src-');
    const a = await up(sourceDir, env);
    const admin = await a.browser().signIn('admin@porthole.local', 'external-admin-pw');
    await populate(admin, 'dave');
    const before = await contentsOf(admin);

    const file = join(await temps.make('porthole-backup-file-'), 'porthole.backup');
    const backup = await runPorthole(['backup', '--data-dir', sourceDir, '--out', file], { env });
    expect(backup.code, backup.stderr).toBe(0);
    await stop(a.proc);

    const targetDir = await temps.make('porthole-backup-ext-dst-');
    const restore = await runPorthole([
      'restore',
      file,
      '--data-dir',
      targetDir,
      '--database-url',
      target.url,
    ]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await readFile(join(targetDir, 'tls-key.pem'), 'utf8')).toBe(
      await readFile(join(sourceDir, 'tls-key.pem'), 'utf8'),
    );
    const restoredEnv = { DATABASE_URL: target.url };
    const b = await up(targetDir, restoredEnv);
    expect(b.installationId).toBe(a.installationId);
    expect(b.database).toBe('postgres');
    const restoredAdmin = await b.browser().signIn('admin@porthole.local', 'external-admin-pw');
    expect(await contentsOf(restoredAdmin)).toEqual(before);
    await b.browser().signIn('dave@example.com', 'dave-password-1');
    await stop(b.proc);

    // A non-empty database is refused even with a fresh data dir beside it.
    const rows = async () =>
      (await query<{ n: string }>(target.url, 'SELECT count(*)::text AS n FROM users'))[0]?.n;
    const usersBefore = await rows();
    const refused = await runPorthole([
      'restore',
      file,
      '--data-dir',
      await temps.make('porthole-backup-ext-other-'),
      '--database-url',
      target.url,
    ]);
    expectOneLineFailure(refused, 1, /the target is not empty \(table /);

    // A well-formed backup whose rows cannot load (every user twice) fails inside the load's
    // transaction: even --force, which empties the tables first, leaves the target as it was.
    const broken = join(await temps.make('porthole-backup-broken-'), 'dup.backup');
    await rewriteBackup(file, broken, {
      data: (h, data) => (h.kind === 'table' && h.name === 'users' ? Buffer.concat([data, data]) : data),
    });
    const failed = await runPorthole([
      'restore',
      broken,
      '--data-dir',
      targetDir,
      '--database-url',
      target.url,
      '--force',
    ]);
    expectOneLineFailure(failed, 1, /duplicate key/);
    expect(await rows()).toBe(usersBefore);
    const [installation] = await query<{ id: string }>(target.url, 'SELECT id::text AS id FROM installation');
    expect(installation?.id).toBe(a.installationId);
    expect(await readFile(join(targetDir, 'tls-key.pem'), 'utf8')).toBe(
      await readFile(join(sourceDir, 'tls-key.pem'), 'utf8'),
    );
  });
});
