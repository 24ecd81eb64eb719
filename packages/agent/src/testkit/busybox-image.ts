import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { DockerRuntime } from '../runtime/docker-runtime.js';
import { createTar, type TarEntry } from './tar.js';

export const BUSYBOX_TEST_IMAGE = 'porthole/test-busybox:latest';
const DEFAULT_BUSYBOX = '/bin/busybox';

const execFileAsync = promisify(execFile);

/**
 * Builds the root filesystem: Debian's static busybox plus one symlink per applet, a uid-1000
 * user like the workspace images, and writable /tmp. Needs `busybox-static` on the host.
 */
export async function busyboxRootfs(busyboxPath = DEFAULT_BUSYBOX): Promise<Buffer> {
  let binary: Buffer;
  try {
    binary = await readFile(busyboxPath);
  } catch (error) {
    throw new Error(`${busyboxPath} not found: install it with "apt-get install -y busybox-static"`, {
      cause: error,
    });
  }
  const { stdout } = await execFileAsync(busyboxPath, ['--list']);
  const applets = stdout
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => /^[a-z0-9_.[-]+$/i.test(name) && name !== 'busybox');
  const entries: TarEntry[] = [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: binary, mode: 0o755 },
    ...applets.map((name): TarEntry => ({ type: 'symlink', path: `bin/${name}`, target: 'busybox' })),
    { type: 'dir', path: 'etc' },
    {
      type: 'file',
      path: 'etc/passwd',
      data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nkasm-user:x:1000:1000::/home/kasm-user:/bin/sh\n'),
    },
    { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nkasm-user:x:1000:\n') },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'home' },
    { type: 'dir', path: 'home/kasm-user', uid: 1000, gid: 1000 },
    { type: 'dir', path: 'www' },
    { type: 'file', path: 'www/index.html', data: Buffer.from('porthole busybox\n') },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'dev' },
    { type: 'dir', path: 'var' },
  ];
  return createTar(entries);
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Makes sure a tiny busybox image exists (imports it when missing) and returns its ref. Idempotent
 * and safe to call from many tests: concurrent callers in one process share the work, and
 * concurrent imports across processes just retag identical content.
 */
export function ensureBusyboxImage(
  runtime: DockerRuntime,
  options: { ref?: string; busyboxPath?: string } = {},
): Promise<string> {
  const ref = options.ref ?? BUSYBOX_TEST_IMAGE;
  const existing = inFlight.get(ref);
  if (existing) return existing;
  const work = (async () => {
    if (await runtime.imagePresent(ref)) return ref;
    const tarball = await busyboxRootfs(options.busyboxPath);
    await runtime.importImage(tarball, ref, ['ENV PATH=/bin', 'WORKDIR /', 'CMD ["sh"]']);
    return ref;
  })();
  inFlight.set(ref, work);
  work.catch(() => inFlight.delete(ref));
  return work;
}
