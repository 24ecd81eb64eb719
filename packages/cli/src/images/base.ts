import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { slimBase, slimBaseChanges, slimBaseLabel } from './base-slim.js';
import { followStream } from './docker-stream.js';

export const registryBase = 'debian:bookworm-slim';
export const localBase = 'porthole/base-bookworm:latest';
export const debianMirror = 'http://deb.debian.org/debian';

export interface BaseImage {
  ref: string;
  id: string;
  /** One line for the build output: where the base came from. */
  how: string;
}

export interface BaseOptions {
  docker: Dockerode;
  log: (line: string) => void;
  /** Use this image as the base, no detection (e.g. a mirror's copy of debian:bookworm-slim). */
  base?: string;
  /** Give up on a registry that has not said anything for this long. */
  pullIdleTimeoutMs?: number;
}

export async function imageId(docker: Dockerode, ref: string): Promise<string | undefined> {
  return (await inspect(docker, ref))?.Id;
}

async function inspect(docker: Dockerode, ref: string): Promise<Dockerode.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'statusCode' in err && err.statusCode === 404;
}

/**
 * Picks the Debian bookworm base without touching the network when one is already here:
 * debian:bookworm-slim, else porthole/base-bookworm, else a quick pull of debian:bookworm-slim,
 * else a debootstrap minbase imported as porthole/base-bookworm. A base once chosen stays chosen
 * (no flip-flop between registry and local bases, which would rebuild every image).
 */
export async function resolveBase(options: BaseOptions): Promise<BaseImage> {
  const { docker, log } = options;
  if (options.base) {
    const id = await imageId(docker, options.base);
    if (!id) throw new Error(`base image ${options.base} is not present on this Docker host`);
    return { ref: options.base, id, how: `${options.base} (as asked)` };
  }
  const slim = await imageId(docker, registryBase);
  if (slim) return { ref: registryBase, id: slim, how: `${registryBase} (already present)` };
  const local = await inspect(docker, localBase);
  if (local?.Config?.Labels?.[slimBaseLabel]) {
    return { ref: localBase, id: local.Id, how: `${localBase} (debootstrap base, already present)` };
  }
  if (local) {
    // Made before bases were slimmed: once, without the apt state every image would inherit.
    log(`base: ${localBase} carries apt lists and caches; replacing it with a slim copy`);
    const id = await slimBase(docker, localBase);
    return { ref: localBase, id, how: `${localBase} (debootstrap base, apt lists and caches removed now)` };
  }

  log(`base: trying to pull ${registryBase}…`);
  const pulled = await tryPull(docker, registryBase, options.pullIdleTimeoutMs ?? 10_000);
  if (pulled.ok) {
    const id = await imageId(docker, registryBase);
    if (id) return { ref: registryBase, id, how: `${registryBase} (pulled from the registry)` };
  } else {
    log(`base: no registry (${pulled.reason}); making ${localBase} with debootstrap`);
  }
  const id = await createDebootstrapBase({ docker, log, repo: 'porthole/base-bookworm', tag: 'latest' });
  return { ref: localBase, id, how: `${localBase} (made now with debootstrap)` };
}

export async function tryPull(
  docker: Dockerode,
  ref: string,
  idleTimeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), idleTimeoutMs);
  };
  arm();
  try {
    // An unreachable registry can hang rather than fail, so the attempt is bounded by inactivity,
    // not by total time: a slow but live download is allowed to finish.
    const stream = await docker.pull(ref, { abortSignal: abort.signal });
    await followStream(stream, arm);
    return { ok: true };
  } catch (err) {
    const reason = abort.signal.aborted
      ? `no answer in ${idleTimeoutMs / 1000} s`
      : err instanceof Error
        ? err.message.split('\n')[0]
        : String(err);
    return { ok: false, reason: reason ?? 'pull failed' };
  } finally {
    clearTimeout(timer);
  }
}

export interface CreateBaseOptions {
  docker: Dockerode;
  log: (line: string) => void;
  repo: string;
  tag: string;
  mirror?: string;
}

/**
 * `debootstrap --variant=minbase bookworm` into a scratch directory, then the tree is streamed as a
 * tar to the Engine API's image import. Needs root (debootstrap does) and takes about a minute.
 */
export async function createDebootstrapBase(options: CreateBaseOptions): Promise<string> {
  const { docker, log } = options;
  if (process.getuid?.() !== 0) {
    throw new Error('making the Debian base needs root (debootstrap); run once as root or load an image');
  }
  if (!existsSync('/usr/sbin/debootstrap')) {
    throw new Error('debootstrap is not installed (apt-get install debootstrap) and no base image exists');
  }
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'porthole-base-'));
  const rootfs = join(dir, 'rootfs');
  try {
    let last = '';
    const heartbeat = setInterval(() => {
      log(`base: debootstrap ${Math.round((Date.now() - started) / 1000)}s ${last}`);
    }, 10_000);
    try {
      await run(
        '/usr/sbin/debootstrap',
        ['--variant=minbase', 'bookworm', rootfs, options.mirror ?? debianMirror],
        (line) => {
          if (line.startsWith('I: ')) last = line.slice(3);
        },
      );
    } finally {
      clearInterval(heartbeat);
    }
    // Package lists and caches (~80 MB) are dead weight in every image built on top, even where
    // that image deletes them (the bytes stay in this layer); each build runs apt-get update.
    // apt wants the directories (and their partial/) to exist, so only their contents go.
    for (const dir of ['var/cache/apt', 'var/lib/apt/lists']) {
      await rm(join(rootfs, dir), { recursive: true, force: true });
    }
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
      await mkdir(join(rootfs, dir, 'partial'), { recursive: true });
    }
    log(`base: importing ${options.repo}:${options.tag}`);
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-cf', '-', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tarDone = new Promise<void>((resolve, reject) => {
      tar.on('error', reject);
      tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`))));
    });
    const response = await docker.importImage(tar.stdout, {
      repo: options.repo,
      tag: options.tag,
      changes: slimBaseChanges,
    });
    await Promise.all([followStream(response, () => {}), tarDone]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const id = await imageId(docker, `${options.repo}:${options.tag}`);
  if (!id) throw new Error(`import of ${options.repo}:${options.tag} left no image`);
  log(`base: ${options.repo}:${options.tag} ready in ${Math.round((Date.now() - started) / 1000)}s`);
  return id;
}

function run(command: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const read = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        onLine(line);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}:\n${tail.join('\n')}`)),
    );
  });
}
