import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * Bumped when the builder changes how it turns a folder into an image (build args, labels…), so
 * images made by an older builder are rebuilt even though their folders did not change.
 */
export const recipeVersion = 'porthole-images/1';

/** Every file of a build context, as POSIX paths relative to it, sorted (the tar and hash order). */
export async function listContext(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

export interface HashInputs {
  dir: string;
  files: readonly string[];
  /** Id of the image the Dockerfile builds FROM (the Debian base or the parent image). */
  fromImageId: string;
  buildArgs: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
}

/**
 * Content hash of everything that decides what an image contains. File modes count only for the
 * executable bit (what survives a git checkout); mtimes never count.
 */
export async function inputsHash(inputs: HashInputs): Promise<string> {
  const hash = createHash('sha256');
  const field = (...parts: string[]): void => {
    for (const part of parts) hash.update(`${part.length}:${part}`);
  };
  field(recipeVersion, inputs.fromImageId);
  for (const [k, v] of Object.entries(inputs.buildArgs).sort(([a], [b]) => a.localeCompare(b))) field(k, v);
  for (const [k, v] of Object.entries(inputs.labels).sort(([a], [b]) => a.localeCompare(b))) field(k, v);
  for (const file of inputs.files) {
    const full = join(inputs.dir, file);
    const info = await lstat(full);
    if (info.isSymbolicLink()) {
      field('link', file, await readlink(full));
      continue;
    }
    field('file', file, info.mode & 0o111 ? 'x' : '-');
    hash.update(
      createHash('sha256')
        .update(await readFile(full))
        .digest('hex'),
    );
  }
  return `sha256:${hash.digest('hex')}`;
}
