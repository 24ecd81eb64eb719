import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseDockerConnection } from '@porthole/agent';
import Dockerode from 'dockerode';
import { findProjectRoot } from '../images/paths.js';
import type { EngineInstaller, EngineProbe } from './setup.js';

const PING_TIMEOUT_MS = 3_000;

/** The real machine: a ping, PATH, the uid. */
export const hostEngineProbe: EngineProbe = {
  async answers(endpoint) {
    try {
      const docker = new Dockerode({ ...parseDockerConnection(endpoint), timeout: PING_TIMEOUT_MS });
      await docker.ping();
      return true;
    } catch {
      return false;
    }
  },
  has(command) {
    // A non-login root shell may lack the sbin directories where dockerd lives.
    const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
    return dirs.some((dir) => dir !== '' && existsSync(join(dir, command)));
  },
  isRoot: () => process.getuid?.() === 0,
};

/**
 * scripts/ensure-docker.sh, the one copy of "install docker.io, start dockerd, repair docker0"
 * that scripts/test-services.sh runs too. Its log and dockerd's go to `stateDir`.
 */
export class ScriptEngineInstaller implements EngineInstaller {
  constructor(
    private readonly stateDir: string,
    private readonly script: string = join(findProjectRoot(), 'scripts', 'ensure-docker.sh'),
  ) {}

  ensure(log: (line: string) => void): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!existsSync(this.script)) return Promise.resolve({ ok: false, reason: `${this.script} is missing` });
    return new Promise((resolve) => {
      const child = spawn('bash', [this.script, this.stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let last = '';
      const onLine = (line: string) => {
        if (line.trim() === '') return;
        last = line.replace(/^\[ensure-docker\] (FATAL: )?/, '');
        log(line);
      };
      if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
      if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
      child.on('error', (err) => resolve({ ok: false, reason: err.message }));
      child.on('close', (code) =>
        resolve(code === 0 ? { ok: true } : { ok: false, reason: last || `exit status ${code}` }),
      );
    });
  }
}
