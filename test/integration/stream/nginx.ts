import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderNginxConfig } from '@porthole/server';
import { TempDirs } from '../support/temp.js';

const run = promisify(execFile);
export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export interface TestNginx {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The throwaway self-signed certificate nginx serves (trust it as a CA). */
  ca: string;
  /** The master's pid. */
  pid: number;
  stderr(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again at once; good enough for a test). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

function workerPids(masterPid: number): number[] {
  try {
    return readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The main config around deploy/nginx/porthole.conf as rendered by `porthole nginx-config`: in
 * the foreground with a master, errors to stderr, pid and temp files under `prefix`.
 */
export function mainConfig(prefix: string, rendered: string, asRoot: boolean): string {
  const temp = (name: string) => `${name}_temp_path ${join(prefix, 'temp', name)};`;
  return [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    asRoot ? 'user root;' : '',
    'error_log stderr warn;',
    `pid ${join(prefix, 'nginx.pid')};`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    `  ${temp('client_body')}`,
    `  ${temp('proxy')}`,
    `  ${temp('fastcgi')}`,
    `  ${temp('uwsgi')}`,
    `  ${temp('scgi')}`,
    rendered,
    '}',
    '',
  ].join('\n');
}

/**
 * Starts Debian's nginx as a child on 127.0.0.1 in front of `serverUrl`, on `port` when given
 * (reserved beforehand so the server can allow its origin: see `StreamStack.nginxPort`).
 */
export async function startNginx(serverUrl: string, port?: number): Promise<TestNginx> {
  const temps = new TempDirs();
  const prefix = await temps.make('porthole-nginx-');
  await mkdir(join(prefix, 'temp'), { recursive: true });
  const certFile = join(prefix, 'cert.pem');
  const keyFile = join(prefix, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  port ??= await freePort();
  const rendered = renderNginxConfig({
    serverUrl,
    listen: `127.0.0.1:${port}`,
    serverName: '127.0.0.1',
    certFile,
    keyFile,
  });
  const confFile = join(prefix, 'nginx.conf');
  await writeFile(confFile, mainConfig(prefix, rendered, process.getuid?.() === 0));
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', prefix, '-c', confFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const workers = child.pid === undefined ? [] : workerPids(child.pid);
      child.kill('SIGTERM');
      let killed = false;
      const timer = setTimeout(() => {
        killed = child.kill('SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
      // A master killed outright leaves its workers behind (after SIGTERM it stops them itself).
      if (killed)
        for (const pid of workers) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
    }
    await temps.cleanup();
  };
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid === undefined) throw new Error('nginx has no pid');
  return {
    url: `https://127.0.0.1:${port}`,
    ca: await readFile(certFile, 'utf8'),
    pid: child.pid,
    stderr: () => stderr,
    stop,
  };
}
