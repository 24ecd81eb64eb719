/**
 * Host paths whose bind mount hands a session the container engine (and so the host). The server
 * refuses them when a workspace is saved; the agent refuses them again at create. Pure string
 * work (no node:path) so the web app may import it too.
 */

const SOCKET_NAMES = /^(docker|containerd|dockershim|podman|cri-dockerd|crio)\.sock$/;
const ENGINE_DIRS = new Set([
  '/',
  '/var',
  '/var/run',
  '/run',
  '/var/run/docker',
  '/run/docker',
  '/var/run/containerd',
  '/run/containerd',
  '/var/lib/docker',
  '/var/lib/containerd',
]);

/** POSIX normalisation of an absolute path: `.`, `..` and repeated slashes resolved, no trailing slash. */
export function normalizeAbsolutePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** True when binding this absolute host path would expose a container engine socket or its state. */
export function isEngineSocketSource(source: string): boolean {
  const normalized = normalizeAbsolutePath(source);
  const base = normalized.slice(normalized.lastIndexOf('/') + 1);
  return SOCKET_NAMES.test(base) || ENGINE_DIRS.has(normalized);
}
