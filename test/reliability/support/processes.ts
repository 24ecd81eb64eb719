import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sleep } from './wait.js';

/** The committed launcher; it runs packages/cli/dist, which `npx tsc -b` (scripts/test.sh) builds. */
export const PORTHOLE_BIN = fileURLToPath(new URL('../../../packages/cli/bin/porthole.js', import.meta.url));
const BUILT = [
  'cli/dist/bin.js',
  'server/dist/index.js',
  'agent/dist/index.js',
  'contracts/dist/index.js',
].map((f) => fileURLToPath(new URL(`../../../packages/${f}`, import.meta.url)));

/**
 * The child processes run the built packages (`npx tsc -b`; scripts/test.sh builds first). A
 * build running beside this suite removes them for a moment, so missing files are waited for.
 */
export async function assertBuilt(timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = BUILT.filter((f) => !existsSync(f));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${missing.join(', ')} missing: run \`npx tsc -b\` (scripts/test.sh does) first`);
    await sleep(1000);
  }
}

/** A free TCP port on 127.0.0.1 (bound once, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The environment without Porthole's own settings, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PORTHOLE_') || k === 'DATABASE_URL' || k === 'REDIS_URL') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export type LogLine = Record<string, unknown> & { msg?: string };

const MAX_KEPT_CHARS = 4 * 1024 * 1024;
const live = new Set<Child>();
// A worker that exits without its afterAll (a crash, a timeout) must not leave servers, agents or
// daemons running: kill whatever is left, synchronously, on the way out.
process.once('exit', () => {
  for (const c of live) c.killNow();
});

/**
 * A long-running child process (`porthole server`, `porthole agent`, dockerd…) whose output is
 * kept (bounded) for assertions and post-mortems. `kill` waits for the exit.
 */
export class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    live.add(this);
    proc.stdout?.on('data', (c: Buffer) => {
      this.stdout = (this.stdout + c.toString()).slice(-MAX_KEPT_CHARS);
    });
    proc.stderr?.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-MAX_KEPT_CHARS);
    });
    this.exited = new Promise((resolve) => {
      proc.on('close', (code, signal) => {
        this.done = true;
        live.delete(this);
        resolve({ code, signal });
      });
    });
  }

  static spawn(name: string, command: string, args: string[], env: Record<string, string> = {}): Child {
    const proc = spawn(command, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    return new Child(name, proc);
  }

  static porthole(name: string, args: string[], env: Record<string, string> = {}): Child {
    return Child.spawn(name, process.execPath, [PORTHOLE_BIN, ...args], env);
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.proc.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /** JSON log lines of stdout (pino). */
  lines(): LogLine[] {
    const out: LogLine[] = [];
    for (const line of this.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as LogLine);
      } catch {
        // a line cut by the bounded buffer or still being written
      }
    }
    return out;
  }

  /** Waits for a log line matching `match`; fails early when the process exits. */
  async waitForLine(match: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.lines().find(match);
      if (found) return found;
      if (this.done) throw new Error(`${this.name} exited: ${this.tail()}`);
      await sleep(100);
    }
    throw new Error(`${this.name}: no matching log line in ${timeoutMs} ms: ${this.tail()}`);
  }

  /** The last part of the output, for error messages. */
  tail(chars = 3000): string {
    return `stderr: ${this.stderr.slice(-chars)} stdout: ${this.stdout.slice(-chars)}`;
  }

  /** SIGKILL without waiting (process exit). */
  killNow(): void {
    if (!this.done) this.proc.kill('SIGKILL');
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
    if (this.done) return;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Stops every child still running (afterAll), SIGKILL after a grace period. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill('SIGTERM', 15_000)));
}
