import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temporary directories that `cleanup` removes, for data dirs and throwaway migration sets. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = 'porthole-test-'): Promise<string> {
    // Left 0700 as mkdtemp makes it: as root, the server must let postgres in by itself.
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    const dirs = this.dirs.splice(0);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
