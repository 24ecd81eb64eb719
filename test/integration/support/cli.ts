import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed launcher; it runs packages/cli/dist, which `npx tsc -b` (or scripts/test.sh) builds. */
export const portholeBin = fileURLToPath(new URL('../../../packages/cli/bin/porthole.js', import.meta.url));

/**
 * The test runner's environment without Porthole's own settings, so a developer's DATABASE_URL
 * or PORTHOLE_* cannot leak into a child; `extra` adds the ones a test means.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PORTHOLE_') || k === 'DATABASE_URL' || k === 'REDIS_URL') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function spawnPorthole(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [portholeBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `porthole <args>` to completion (killed after `timeoutMs`). */
export function runPorthole(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawnPorthole(args, cliEnv(opts.env));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`porthole ${args.join(' ')} did not finish; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** JSON log lines of a child's stdout (the first-admin banner and other text skipped). */
export function logLines(stdout: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial line at the end of a chunk
    }
  }
  return out;
}

const running = new Set<PortholeProcess>();

/** A long-running `porthole up|server` child, ready once it logged `porthole is up`. */
export class PortholeProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitedYet = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly startedAt: number,
  ) {
    running.add(this);
    child.stdout?.on('data', (c: Buffer) => {
      this.stdout += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr += c.toString();
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exitedYet = true;
        running.delete(this);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('porthole did not start');
    return this.child.pid;
  }

  /** Starts `porthole <args>` and waits for its `porthole is up` line. */
  static async start(
    args: string[],
    opts: { env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<{ proc: PortholeProcess; url: string; installationId: string; database: string }> {
    const proc = new PortholeProcess(spawnPorthole(args, cliEnv(opts.env)), Date.now());
    const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
    while (Date.now() < deadline) {
      const up = logLines(proc.stdout).find((l) => l.msg === 'porthole is up');
      if (up) {
        return {
          proc,
          url: String(up.url),
          installationId: String(up.installationId),
          database: String(up.database),
        };
      }
      if (proc.exitedYet) {
        throw new Error(`porthole ${args.join(' ')} exited before it was up:\n${proc.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await proc.kill('SIGKILL');
    throw new Error(`porthole ${args.join(' ')} was not up in time:\n${proc.tail()}`);
  }

  /** Sends `signal` and waits for the process to end. */
  async kill(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exitedYet) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL when the process is still there after `graceMs` (then `signal` is SIGKILL). */
  async terminate(graceMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.kill('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines of the child's output, for failure messages. */
  tail(lines = 15): string {
    return `${this.stdout}${this.stderr}`.trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** Stops every child still running (afterEach/afterAll), SIGKILL when SIGTERM is not enough. */
export async function stopAllPorthole(): Promise<void> {
  await Promise.all([...running].map((p) => p.terminate(20_000)));
}

/** The pid in `<dataDir>/postgres/postmaster.pid` when that process is alive. */
export async function livePostmaster(dataDir: string): Promise<number | null> {
  let pid: number;
  try {
    pid = Number.parseInt(
      (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '',
      10,
    );
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Shuts down an embedded postmaster a killed test left behind (fast shutdown), waiting for it. */
export async function stopLeftoverPostgres(dataDir: string): Promise<void> {
  const pid = await livePostmaster(dataDir);
  if (!pid) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && (await livePostmaster(dataDir)))
    await new Promise((r) => setTimeout(r, 100));
}
