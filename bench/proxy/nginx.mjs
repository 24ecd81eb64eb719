// Debian's nginx for the proxy bench: deploy/nginx/porthole.conf as `porthole nginx-config`
// renders it, in the foreground under a temporary prefix; optionally with nginx's default
// proxy buffers instead of the 64k ones the template sets (for comparison).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const listening = (port) =>
  new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

/** The pids of a master and its workers (for CPU and RSS). */
export function nginxPids(masterPid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // gone
  }
  return [masterPid, ...children];
}

export async function startNginx({ packagesRoot, dir, serverUrl, certFile, keyFile, defaultBuffers }) {
  const { renderNginxConfig } = await import(pathToFileURL(join(packagesRoot, 'server/dist/index.js')).href);
  const port = await freePort();
  let site = renderNginxConfig({
    serverUrl,
    listen: `127.0.0.1:${port}`,
    serverName: '127.0.0.1',
    certFile,
    keyFile,
  });
  if (defaultBuffers) site = site.replace(/^\s*proxy_(buffer_size|buffers|busy_buffers_size) .*$/gm, '');
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const temp = (n) => `${n}_temp_path ${join(dir, 'temp', n)};`;
  const conf = [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    process.getuid?.() === 0 ? 'user root;' : '',
    'error_log stderr error;',
    `pid ${join(dir, 'nginx.pid')};`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((n) => `  ${temp(n)}`),
    site,
    '}',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, pids: () => nginxPids(child.pid) };
}
