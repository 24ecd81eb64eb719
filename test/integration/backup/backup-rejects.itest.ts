import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPorthole, stopLeftoverPostgres } from '../support/cli.js';
import { createTestDatabase, query, type TestDatabase } from '../support/database.js';
import { TempDirs } from '../support/temp.js';
import { expectOneLineFailure, rewriteBackup } from './support.js';

// Files a restore must refuse, each leaving its target exactly as empty as it was.
const temps = new TempDirs();
const external: TestDatabase[] = [];
const embeddedDirs: string[] = [];
let good: string;
const bad: Record<string, { file: string; error: RegExp }> = {};

beforeAll(async () => {
  // A real installation to back up, made without a server: `user create` bootstraps the database.
  const source = await createTestDatabase('backup_rej_src');
  external.push(source);
  const env = { DATABASE_URL: source.url, PORTHOLE_ADMIN_PASSWORD: 'rejects-admin-pw' };
  const sourceDir = await temps.make('porthole-rejects-src-');
  const user = await runPorthole(['user', 'create', '--email', 'erin@example.com', '--data-dir', sourceDir], {
    env: { ...env, PORTHOLE_USER_PASSWORD: 'erin-password-1' },
  });
  expect(user.code, user.stderr).toBe(0);
  const dir = await temps.make('porthole-rejects-files-');
  good = join(dir, 'good.backup');
  const backup = await runPorthole(['backup', '--data-dir', sourceDir, '--out', good], { env });
  expect(backup.code, backup.stderr).toBe(0);

  const bytes = await readFile(good);
  const raw = gunzipSync(bytes);
  // A byte of a password hash: only the users table holds one (the audit log, dumped beside it,
  // names erin too but never a hash), so the altered part is the users table's.
  const at = raw.indexOf('$argon2id$');
  const altered = Buffer.from(raw);
  altered.write('E', at);
  const write = async (name: string, content: Buffer | string, error: RegExp) => {
    const file = join(dir, name);
    await writeFile(file, content);
    bad[name] = { file, error };
  };
  await write('cut-in-half', bytes.subarray(0, Math.floor(bytes.length / 2)), /truncated/);
  await write('cut-short', gzipSync(raw.subarray(0, raw.length - 10)), /truncated/);
  await write('altered', gzipSync(altered), /checksum mismatch in table users/);
  await write('foreign-gzip', gzipSync('{"not":"a backup"}'), /: not a Porthole backup$/m);
  await write('foreign-text', 'hello\n', /: not a Porthole backup/);
  await write('empty', '', /: not a Porthole backup/);
  await write(
    'future-format',
    gzipSync(Buffer.from(raw.toString('latin1').replace('"format":1,', '"format":7,'), 'latin1')),
    /unsupported backup format 7 \(this Porthole reads format 1\)/,
  );
  const future = join(dir, 'future-schema');
  await rewriteBackup(good, future, { manifest: (m) => ({ ...m, migration: '9999_from_the_future' }) });
  bad['future-schema'] = {
    file: future,
    error: /the backup is from a newer Porthole .*9999_from_the_future.*upgrade/,
  };
});

afterAll(async () => {
  await Promise.all(embeddedDirs.map((d) => stopLeftoverPostgres(d)));
  await Promise.all(external.map((d) => d.drop()));
  await temps.cleanup();
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('porthole restore refuses bad files', () => {
  it('leaves a fresh data dir untouched, and still restorable', async () => {
    const target = join(await temps.make('porthole-rejects-dst-'), 'data');
    embeddedDirs.push(target);
    for (const [name, { file, error }] of Object.entries(bad)) {
      const r = await runPorthole(['restore', file, '--data-dir', target]);
      expectOneLineFailure(r, 1, error);
      expect(r.stderr, name).toMatch(new RegExp(`^porthole restore: ${file}: `));
      // Checked before anything is opened: not even the embedded cluster was created.
      expect(await exists(target), name).toBe(false);
    }
    const restored = await runPorthole(['restore', good, '--data-dir', target]);
    expect(restored.code, restored.stderr).toBe(0);
  });

  it('leaves a fresh database without a single table, and still restorable', async () => {
    const target = await createTestDatabase('backup_rej_dst');
    external.push(target);
    const tables = async () =>
      (
        await query<{ n: string }>(
          target.url,
          "SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = 'public'",
        )
      )[0]?.n;
    const dir = await temps.make('porthole-rejects-ext-dst-');
    for (const [name, { file, error }] of Object.entries(bad)) {
      const r = await runPorthole(['restore', file, '--data-dir', dir, '--database-url', target.url]);
      expectOneLineFailure(r, 1, error);
      expect(await tables(), name).toBe('0');
    }
    const restored = await runPorthole(['restore', good, '--data-dir', dir, '--database-url', target.url]);
    expect(restored.code, restored.stderr).toBe(0);
    const users = await query<{ username: string }>(
      target.url,
      'SELECT username FROM users ORDER BY username',
    );
    expect(users.map((u) => u.username)).toEqual(['admin@porthole.local', 'erin@example.com']);
  });

  it('answers usage mistakes with one line and status 2', async () => {
    expectOneLineFailure(await runPorthole(['restore']), 2, /^porthole restore: missing the backup file/);
    expectOneLineFailure(
      await runPorthole(['restore', join(await temps.make(), 'nope')]),
      2,
      /^porthole restore: cannot read .*nope: no such file\n$/,
    );
    expectOneLineFailure(await runPorthole(['backup']), 2, /^porthole backup: missing --out <file>\n$/);
    expectOneLineFailure(
      await runPorthole(['backup', '--out', 'x', '--data-dir', await temps.make()]),
      2,
      /^porthole backup: invalid --data-dir: .* holds no embedded Porthole database\n$/,
    );
    expectOneLineFailure(await runPorthole(['restore', good, '--frce']), 2, /^porthole restore: .*frce/);
  });
});
