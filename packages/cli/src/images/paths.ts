import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout root: the nearest ancestor of this module holding `images/desktop/Dockerfile`.
 * Works from `src/` (tests) and `dist/` (the built CLI) alike.
 */
export function findProjectRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'images', 'desktop', 'Dockerfile'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the images/ folder above ${start}`);
    dir = up;
  }
}

/** Images are tagged with the project version: the root package.json's. */
export function projectVersion(root: string): string {
  const pkg: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') {
    return pkg.version;
  }
  throw new Error(`${join(root, 'package.json')} has no version`);
}
