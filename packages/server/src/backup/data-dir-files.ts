import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The files of a data dir that a restore needs, with the widest mode each may have. Everything
 * else stays out: `postgres/` is the cluster the dump replaces, `postgres.json` holds the port
 * and superuser password of that cluster (the target's embedded server has its own), and
 * `porthole.pid` names a process of the old machine.
 */
export const INSTALLATION_FILES: ReadonlyArray<{ path: string; mode: number; why: string }> = [
  { path: 'tls-cert.pem', mode: 0o644, why: 'the self-signed certificate agents and browsers trust' },
  { path: 'tls-key.pem', mode: 0o600, why: "that certificate's private key" },
  { path: 'initial-admin-password', mode: 0o600, why: 'the generated first password, the only copy of it' },
  { path: 'agent/agent.json', mode: 0o600, why: "the local agent's id and secret, matching its row" },
];

// Secrets are a few kilobytes; anything larger in a backup is not one of ours.
export const MAX_FILE_BYTES = 1024 * 1024;

export interface DataDirFile {
  path: string;
  mode: number;
  content: Buffer;
}

export function allowedFile(path: string): { path: string; mode: number } | undefined {
  return INSTALLATION_FILES.find((f) => f.path === path);
}

/** Reads and writes the installation's files in one data dir. */
export class DataDirFiles {
  constructor(private readonly dataDir: string) {}

  /** Those present, with their modes (never wider than the allowed one). */
  async read(): Promise<DataDirFile[]> {
    const out: DataDirFile[] = [];
    for (const f of INSTALLATION_FILES) {
      const full = join(this.dataDir, f.path);
      const info = await lstat(full).catch(() => undefined);
      if (!info?.isFile()) continue;
      out.push({ path: f.path, mode: info.mode & f.mode, content: await readFile(full) });
    }
    return out;
  }

  async present(): Promise<string[]> {
    const found: string[] = [];
    for (const f of INSTALLATION_FILES)
      if (await lstat(join(this.dataDir, f.path)).catch(() => undefined)) found.push(f.path);
    return found;
  }

  /**
   * Writes each file beside its final name (mode set before any content lands); `commit` renames
   * them into place and removes the installation files the backup did not have, `abort` removes
   * what was staged. Staging before the database commits keeps a full disk from failing after it.
   */
  async stage(files: DataDirFile[]): Promise<{ commit(): Promise<void>; abort(): Promise<void> }> {
    const staged: Array<{ temp: string; final: string }> = [];
    const abort = async () => {
      await Promise.all(staged.map((s) => rm(s.temp, { force: true })));
    };
    try {
      for (const f of files) {
        const allowed = allowedFile(f.path);
        if (!allowed) throw new Error(`refusing to write ${f.path}: not an installation file`);
        const final = join(this.dataDir, f.path);
        const temp = `${final}.restoring-${process.pid}`;
        await mkdir(dirname(final), { recursive: true, mode: 0o700 });
        staged.push({ temp, final });
        await writeFile(temp, '', { mode: 0o600 });
        await chmod(temp, f.mode & allowed.mode);
        await writeFile(temp, f.content);
      }
    } catch (err) {
      await abort();
      throw err;
    }
    return {
      abort,
      commit: async () => {
        for (const s of staged) await rename(s.temp, s.final);
        const kept = new Set(files.map((f) => f.path));
        for (const f of INSTALLATION_FILES)
          if (!kept.has(f.path)) await rm(join(this.dataDir, f.path), { force: true });
      },
    };
  }
}
