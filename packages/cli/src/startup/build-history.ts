import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIRST_BUILD_ESTIMATE_SECONDS } from './banner.js';

/** How long the last background build that built anything took, so the next banner's estimate fits this machine. */
const FILE = 'image-build.json';

export async function buildEstimate(dataDir: string): Promise<{ seconds: number; measured: boolean }> {
  try {
    const saved: unknown = JSON.parse(await readFile(join(dataDir, FILE), 'utf8'));
    if (typeof saved === 'object' && saved !== null && 'seconds' in saved) {
      const seconds = Number(saved.seconds);
      if (Number.isFinite(seconds) && seconds > 0) return { seconds, measured: true };
    }
  } catch {
    // No build finished here yet, or the file is damaged: the estimate is the default.
  }
  return { seconds: FIRST_BUILD_ESTIMATE_SECONDS, measured: false };
}

export async function recordBuild(dataDir: string, seconds: number): Promise<void> {
  await writeFile(
    join(dataDir, FILE),
    `${JSON.stringify({ seconds: Math.round(seconds), at: new Date().toISOString() })}\n`,
  );
}
