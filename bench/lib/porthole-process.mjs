// Starts `porthole server|up` as a child process and waits for its "porthole is up" log line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../packages/cli/bin/porthole.js', import.meta.url));

export function startPorthole(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, command, ...args], {
      env: { ...process.env, PORTHOLE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`porthole ${command} did not start: ${err}`)), 60_000);
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n')) {
        if (!line.includes('"porthole is up"')) continue;
        clearTimeout(timer);
        resolve({ child, url: JSON.parse(line).url, stop: () => stop(child) });
        return;
      }
      if (buf.length > 1e6) buf = buf.slice(-1e5);
    });
    child.on('exit', (code) => reject(new Error(`porthole ${command} exited ${code}: ${err}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}
