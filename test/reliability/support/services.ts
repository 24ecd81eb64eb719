import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { Child, freePort } from './processes.js';
import { sleep, until } from './wait.js';

const run = promisify(execFile);

/**
 * The scenario's own PostgreSQL, Redis and Docker daemon, so "restart Postgres / Redis / dockerd"
 * never touches the shared test services. Everything lives under /var/lib/porthole-test/rel-* and
 * /run/porthole-test-* and is removed by `cleanup`.
 */
const ROOT = '/var/lib/porthole-test';

function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => `${base}/${v}/bin`).find((b) => existsSync(`${b}/pg_ctl`));
  if (!bin) throw new Error(`no PostgreSQL server under ${base} (scripts/test-services.sh installs it)`);
  return bin;
}

async function asPostgres(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await run('runuser', ['-u', 'postgres', '--', command, ...args], { timeout: timeoutMs });
  return stdout;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidIn(file: string): Promise<number> {
  try {
    return Number.parseInt((await readFile(file, 'utf8')).split('\n')[0] ?? '', 10);
  } catch {
    return 0;
  }
}

/**
 * Removes what an earlier run killed before its cleanup left behind: clusters whose postmaster is
 * gone, daemons whose dockerd is gone (their mounts, bridge and directories). Live ones (another
 * run of this suite) are left alone.
 */
export async function sweepLeftovers(): Promise<void> {
  const entries = existsSync(ROOT) ? readdirSync(ROOT) : [];
  for (const name of entries) {
    if (name.startsWith('rel-pg-')) {
      if (!alive(await pidIn(`${ROOT}/${name}/data/postmaster.pid`)))
        await rm(`${ROOT}/${name}`, { recursive: true, force: true });
    } else if (name.startsWith('rel-dockerd-')) {
      const tag = name.slice('rel-dockerd-'.length);
      if (alive(await pidIn(`/run/porthole-test-${tag}.pid`))) continue;
      await unmountUnder(`${ROOT}/${name}`);
      await unmountUnder(`/run/porthole-test-${tag}`);
      await run('ip', ['link', 'del', `ph-rt${tag}`]).catch(() => undefined);
      await rm(`${ROOT}/${name}`, { recursive: true, force: true });
      await rm(`/run/porthole-test-${tag}`, { recursive: true, force: true });
      await rm(`/run/porthole-test-${tag}.sock`, { force: true });
    }
  }
}

/** Lazily unmounts everything mounted below `dir`, deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
}

/** A PostgreSQL cluster of the scenario's own (initdb + pg_ctl as the postgres user). */
export class OwnPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get data(): string {
    return `${this.dir}/data`;
  }

  static async start(): Promise<OwnPostgres> {
    await sweepLeftovers();
    const dir = `${ROOT}/rel-pg-${randomBytes(4).toString('hex')}`;
    await mkdir(dir, { recursive: true });
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    await chown(ROOT, uid, 0).catch(() => undefined);
    await chown(dir, uid, 0);
    const pg = new OwnPostgres(dir, await freePort());
    await asPostgres(`${pgBin()}/initdb`, ['-D', pg.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    await pg.resume();
    return pg;
  }

  /** Starts the cluster (again) on its port; resolves once it accepts connections. */
  async resume(): Promise<void> {
    await asPostgres(`${pgBin()}/pg_ctl`, [
      '-D',
      this.data,
      '-l',
      `${this.dir}/postgres.log`,
      '-w',
      '-t',
      '60',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${this.port} -c unix_socket_directories='' -c fsync=off`,
      'start',
    ]);
  }

  /** `immediate` is a crash (no checkpoint, clients cut); `fast` a clean shutdown. */
  async stop(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await asPostgres(`${pgBin()}/pg_ctl`, ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  async cleanup(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of the scenario's own, without persistence; `kill` is a crash. */
export class OwnRedis {
  child: Child | null = null;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort());
    await r.resume();
    return r;
  }

  async resume(): Promise<void> {
    this.child = Child.spawn('redis-server', process.env.REDIS_SERVER_BIN ?? 'redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ]);
    await until(
      'redis to accept connections',
      async () => this.child?.stdout.includes('Ready to accept connections') || undefined,
      20_000,
      100,
    );
  }

  async kill(): Promise<void> {
    await this.child?.kill('SIGKILL');
  }

  async cleanup(): Promise<void> {
    await this.child?.kill('SIGKILL');
  }
}

/**
 * A second Docker daemon: own data root, exec root (so its own containerd), pid file, socket,
 * cgroup parent, and a bridge interface of its own on a private /24, with iptables off.
 * `--live-restore` keeps its containers running while it restarts, as on a production host.
 *
 * Not `--bridge=none`: Docker 20.10 deletes the host's `docker0` interface when started with
 * it, which breaks the shared daemon's networking (seen while building this suite).
 */
export class OwnDockerd {
  child: Child | null = null;
  readonly docker: Docker;
  private constructor(
    readonly tag: string,
    readonly bridge: string,
    readonly subnet: number,
  ) {
    this.docker = new Docker({ socketPath: this.socket });
  }

  get socket(): string {
    return `/run/porthole-test-${this.tag}.sock`;
  }
  get dataRoot(): string {
    return `${ROOT}/rel-dockerd-${this.tag}`;
  }
  get execRoot(): string {
    return `/run/porthole-test-${this.tag}`;
  }

  static async start(): Promise<OwnDockerd> {
    await sweepLeftovers();
    const tag = randomBytes(3).toString('hex');
    const { stdout } = await run('ip', ['-4', 'route']);
    const used = new Set([...stdout.matchAll(/^10\.213\.(\d+)\./gm)].map((m) => Number(m[1])));
    let subnet = 1 + (Number.parseInt(tag, 16) % 250);
    for (let i = 0; used.has(subnet) && i < 250; i += 1) subnet = 1 + (subnet % 250);
    const d = new OwnDockerd(tag, `ph-rt${tag}`, subnet);
    await run('ip', ['link', 'add', 'name', d.bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `10.213.${subnet}.1/24`, 'dev', d.bridge]);
    await run('ip', ['link', 'set', d.bridge, 'up']);
    await mkdir(d.dataRoot, { recursive: true });
    await d.resume();
    return d;
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** Starts dockerd (again); resolves once its API answers. */
  async resume(): Promise<void> {
    this.child = Child.spawn(`dockerd ${this.tag}`, 'dockerd', [
      '--data-root',
      this.dataRoot,
      '--exec-root',
      this.execRoot,
      '--pidfile',
      `/run/porthole-test-${this.tag}.pid`,
      '-H',
      `unix://${this.socket}`,
      '--bridge',
      this.bridge,
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--live-restore',
      '--cgroup-parent',
      `porthole-test-${this.tag}`,
      '--storage-driver',
      'overlay2',
    ]);
    await until(
      `dockerd ${this.tag} to answer`,
      async () => {
        if (!this.child?.running) throw new Error(`dockerd exited: ${this.child?.tail()}`);
        return this.ping();
      },
      60_000,
      200,
    );
  }

  /** Stops dockerd (SIGTERM); with live-restore its containers keep running. */
  async stop(): Promise<void> {
    await this.child?.kill('SIGTERM', 30_000);
  }

  /** Copies an image from another daemon (export → load, streamed). */
  async loadFrom(source: Docker, ref: string): Promise<void> {
    const tar = await source.getImage(ref).get();
    const answer = await this.docker.loadImage(tar);
    await new Promise<void>((resolve, reject) => {
      answer.on('data', () => undefined);
      answer.on('end', () => resolve());
      answer.on('error', reject);
    });
    await this.docker.getImage(ref).inspect();
  }

  async cleanup(): Promise<void> {
    if (this.child?.running || (await this.ping())) {
      const all = await this.docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(
        all.map((c) =>
          this.docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
    }
    await this.child?.kill('SIGTERM', 30_000);
    await sleep(500);
    await run('ip', ['link', 'del', this.bridge]).catch(() => undefined);
    // Overlay mounts a crashed daemon left behind would keep the directories busy.
    await unmountUnder(this.dataRoot);
    await unmountUnder(this.execRoot);
    await rm(this.dataRoot, { recursive: true, force: true });
    await rm(this.execRoot, { recursive: true, force: true });
    await rm(this.socket, { force: true });
    // The (now empty) cgroups its containers ran under.
    await run('sh', [
      '-c',
      `find /sys/fs/cgroup -maxdepth 3 -type d -name 'porthole-test-${this.tag}' -exec rmdir {} + 2>/dev/null || true`,
    ]).catch(() => undefined);
  }
}
