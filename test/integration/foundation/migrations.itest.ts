import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateToLatest, prepareDatabase } from '@porthole/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../../packages/server/src/db/database.js';
import { type Backend, backendNames, openBackend, silentLogger } from '../support/backends.js';
import { query } from '../support/database.js';
import { TempDirs } from '../support/temp.js';

const shippedDir = fileURLToPath(new URL('../../../packages/server/migrations/', import.meta.url));
const serverDist = fileURLToPath(new URL('../../../packages/server/dist/db/', import.meta.url));

async function shippedNames(): Promise<string[]> {
  return (await readdir(shippedDir))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => f.replace(/\.sql$/, ''));
}

async function migrationDir(temps: TempDirs, files: Record<string, string>): Promise<string> {
  const dir = await temps.make('porthole-migrations-');
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const relationExists = async (url: string, name: string) =>
  (await query<{ r: string | null }>(url, 'select to_regclass($1)::text as r', [name]))[0]?.r !== null;

const appliedRows = async (url: string) =>
  (await relationExists(url, 'kysely_migration'))
    ? (await query<{ name: string }>(url, 'select name from kysely_migration order by name')).map(
        (r) => r.name,
      )
    : [];

describe.each(backendNames)('migrations on the %s PostgreSQL server', (backendName) => {
  let backend: Backend;
  const temps = new TempDirs();
  const handles: DatabaseHandle[] = [];
  const open = (url: string) => {
    const h = openDatabase(url, silentLogger, 3);
    handles.push(h);
    return h;
  };

  beforeAll(async () => {
    backend = await openBackend(backendName);
  });
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await backend?.close();
    await temps.cleanup();
  });

  it('opens the configured kind of database', async () => {
    expect(backend.main.kind).toBe(backendName === 'embedded' ? 'embedded' : 'postgres');
    await backend.main.ping();
    if (backendName !== 'embedded' || !backend.dataDir) return;
    // Data under <data-dir>/postgres, served on loopback only, by a non-root user when we are root.
    expect((await stat(join(backend.dataDir, 'postgres', 'PG_VERSION'))).isFile()).toBe(true);
    const [listen] = await query<{ listen_addresses: string }>(backend.mainUrl, 'show listen_addresses');
    expect(listen?.listen_addresses).toBe('127.0.0.1');
    expect(new URL(backend.mainUrl).hostname).toBe('127.0.0.1');
    const postmaster = (await readFile(join(backend.dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split(
      '\n',
    )[0];
    const status = await readFile(`/proc/${postmaster}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    if (process.getuid?.() === 0) expect(uid).not.toBe(0);
  });

  it('applies every shipped migration once; a second run applies nothing', async () => {
    const db = await backend.fresh();
    const h = open(db.url);
    const names = await shippedNames();
    expect(names.length).toBeGreaterThan(0);
    expect((await migrateToLatest(h.db)).applied).toEqual(names);
    expect((await migrateToLatest(h.db)).applied).toEqual([]);
    expect(await appliedRows(db.url)).toEqual(names);
    for (const table of ['installation', 'users', 'groups', 'group_members', 'auth_sessions'])
      expect(await relationExists(db.url, table)).toBe(true);
  });

  it('lets two servers migrate at once: both succeed, the migrations apply once', async () => {
    const db = await backend.fresh();
    const [a, b] = await Promise.all([migrateToLatest(open(db.url).db), migrateToLatest(open(db.url).db)]);
    const names = await shippedNames();
    expect([a.applied, b.applied].sort((x, y) => x.length - y.length)).toEqual([[], names]);
    expect(await appliedRows(db.url)).toEqual(names);
  });

  it('rolls back the whole pending set when its last migration fails', async () => {
    const db = await backend.fresh();
    const h = open(db.url);
    const good = {
      '0001_one.sql': 'create table t_one (id int);',
      '0002_two.sql': 'create table t_two (id int);',
    };
    const failing = await migrationDir(temps, {
      ...good,
      '0003_bad.sql': 'create table t_three (id int); insert into t_one values (1); select 1/0;',
    });
    await expect(migrateToLatest(h.db, failing)).rejects.toThrow(
      /^migration 0003_bad failed: division by zero/,
    );
    for (const t of ['t_one', 't_two', 't_three']) expect(await relationExists(db.url, t)).toBe(false);
    expect(await appliedRows(db.url)).toEqual([]);

    const fixed = await migrationDir(temps, { ...good, '0003_bad.sql': 'create table t_three (id int);' });
    expect((await migrateToLatest(h.db, fixed)).applied).toEqual(['0001_one', '0002_two', '0003_bad']);
    expect(await relationExists(db.url, 't_three')).toBe(true);
  });

  it('leaves no partial schema when the migrating process is killed, and the next start succeeds', async () => {
    const db = await backend.fresh();
    // The server notices the vanished client within 100 ms even inside pg_sleep.
    await query(db.url, `alter database "${db.name}" set client_connection_check_interval = '100ms'`);
    const dir = await migrationDir(temps, {
      '0001_first.sql': 'create table t_first (id int);',
      '0002_slow.sql': 'create table t_slow (id int); select pg_sleep(60); -- killed here',
    });
    const script = `
      const { openDatabase } = await import(${JSON.stringify(`${serverDist}database.js`)});
      const { migrateToLatest } = await import(${JSON.stringify(`${serverDist}migrator.js`)});
      await migrateToLatest(openDatabase(process.env.URL).db, process.env.DIR);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, URL: db.url, DIR: dir },
      stdio: 'ignore',
    });
    const childExited = new Promise((r) => child.on('close', r));
    try {
      const sleeping = () =>
        query(
          db.url,
          "select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and query like '%pg_sleep(60)%'",
          [db.name],
        );
      await waitFor(async () => (await sleeping()).length === 1, 20_000, 'the migration to reach pg_sleep');
      expect(await relationExists(db.url, 't_first')).toBe(false); // uncommitted: invisible outside
      child.kill('SIGKILL');
      await childExited;
      await waitFor(
        async () => (await sleeping()).length === 0,
        10_000,
        'the server to drop the killed backend',
      );
    } finally {
      child.kill('SIGKILL');
    }
    expect(await relationExists(db.url, 't_first')).toBe(false);
    expect(await relationExists(db.url, 't_slow')).toBe(false);
    expect(await appliedRows(db.url)).toEqual([]);

    // A normal start on the same database: shipped migrations and bootstrap go through.
    const h = open(db.url);
    const data = await temps.make();
    const { installationId } = await prepareDatabase(
      h.db,
      { dataDir: data, adminPassword: 'admin-pass-123' },
      silentLogger,
    );
    expect(installationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await appliedRows(db.url)).toEqual(await shippedNames());
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
