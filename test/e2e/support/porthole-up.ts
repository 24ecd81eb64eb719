// `porthole up` as a child process for browser tests: a throwaway data dir, a free port, the first
// administrator's password from the environment; resolves once the log says `porthole is up`.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repoRoot, 'packages/cli/bin/porthole.js');

export const adminUsername = 'admin@porthole.local';

export interface PortholeUp {
  /** https://127.0.0.1:<port> */
  url: string;
  installationId: string;
  dataDir: string;
  adminPassword: string;
  /** Every log line so far (JSON lines), for failure messages. */
  logs: string[];
  /** Log lines whose level is warn or worse, parsed. */
  problems(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra `porthole up` flags (e.g. `--build-images false`). */
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function startPorthole(options: StartOptions = {}): Promise<PortholeUp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'porthole-e2e-'));
  const adminPassword = `e2e-${randomBytes(9).toString('base64url')}`;
  const child = spawn(
    process.execPath,
    [bin, 'up', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1', ...(options.args ?? [])],
    {
      cwd: repoRoot,
      env: { ...process.env, PORTHOLE_ADMIN_PASSWORD: adminPassword, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));

  const up = new Promise<{ url: string; installationId: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`porthole up did not come up in time:\n${logs.slice(-20).join('\n')}`)),
      options.timeoutMs ?? 180_000,
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string; installationId?: string };
        if (entry.msg === 'porthole is up' && entry.url && entry.installationId) {
          clearTimeout(timer);
          resolve({ url: entry.url, installationId: entry.installationId });
        }
      } catch {
        // not JSON: keep it in the log only
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `porthole up exited (${code ?? signal}) before it was up:\n${logs.slice(-20).join('\n')}\n${stderr.join('')}`,
        ),
      );
    });
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 30_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    }
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
  };

  try {
    const { url, installationId } = await up;
    return {
      url,
      installationId,
      dataDir,
      adminPassword,
      logs,
      problems: () =>
        logs.flatMap((l) => {
          try {
            const e = JSON.parse(l) as Record<string, unknown>;
            return typeof e.level === 'number' && e.level >= 40 ? [e] : [];
          } catch {
            return [];
          }
        }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
