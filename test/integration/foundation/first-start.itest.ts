import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OwnDockerd } from '../../reliability/support/services.js';
import { ApiClient, http } from '../../support/http.js';
import { logLines, PortholeProcess, stopAllPorthole, stopLeftoverPostgres } from '../support/cli.js';
import { TempDirs } from '../support/temp.js';

// `porthole up` as a newcomer meets it when Docker Engine is not there, or goes away later.
const temps = new TempDirs();
const dirs: string[] = [];
const ADMIN_PASSWORD = 'first-start-admin-1';

afterEach(async () => {
  await stopAllPorthole();
});
afterAll(async () => {
  await stopAllPorthole();
  for (const dir of dirs) await stopLeftoverPostgres(dir);
  await temps.cleanup();
});

async function up(env: Record<string, string>) {
  const dataDir = await temps.make('porthole-first-start-');
  dirs.push(dataDir);
  const started = await PortholeProcess.start(['up', '--data-dir', dataDir, '--port', '0'], {
    env: { PORTHOLE_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env },
  });
  const ca = await readFile(join(dataDir, 'tls-cert.pem'), 'utf8');
  return { ...started, ca };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const warnings = (stdout: string) =>
  logLines(stdout)
    .filter((l) => l.level === 40)
    .map((l) => String(l.msg));

describe('porthole up without a Docker Engine', () => {
  it('says in one line what is wrong, serves the web app, and does not repeat the warning', async () => {
    const socket = `/tmp/porthole-no-docker-${randomBytes(4).toString('hex')}.sock`;
    const u = await up({ DOCKER_HOST: `unix://${socket}`, PORTHOLE_CHECKIN_SECONDS: '1' });
    const health = await http(`${u.url}/api/health`, { ca: u.ca });
    expect(health.status).toBe(200);

    const deadline = Date.now() + 10_000;
    while (!u.proc.stderr.includes('Porthole is up') && Date.now() < deadline) await sleep(50);
    const problem = u.proc.stderr.split('\n').filter((l) => l.includes('is not answering'));
    expect(problem, u.proc.stderr).toEqual([
      `  Docker Engine at unix://${socket} is not answering: start it (or unset DOCKER_HOST for this machine's), then run npm start again`,
    ]);
    expect(u.proc.stderr).toContain('Workspace images: not building (Docker Engine is not running)');
    expect(u.proc.stderr).not.toMatch(/ {4}at /);

    // Fifteen check-ins' worth: the outage stays one warning from up and one from the agent.
    await sleep(15_000);
    const warned = warnings(u.proc.stdout);
    expect(warned, u.proc.stdout.slice(-4000)).toEqual([
      'Docker Engine not available: the web app runs, sessions cannot start',
      'Docker Engine unreachable; sessions cannot start here until it answers again',
    ]);
    expect(u.proc.stdout).not.toContain('image pull failed');
    expect((await http(`${u.url}/api/health`, { ca: u.ca })).status).toBe(200);
    const stopped = await u.proc.terminate();
    expect(stopped).toEqual({ code: 0, signal: null });
  }, 90_000);
});

type AgentEngine = { name: string; engine: { reachable: boolean; error?: string; version?: string } | null };

describe('an agent whose Docker Engine goes away', () => {
  it('shows engine.reachable false in the admin agents API within a few check-ins, warning once', async () => {
    const dockerd = await OwnDockerd.start();
    try {
      const u = await up({
        DOCKER_HOST: `unix://${dockerd.socket}`,
        PORTHOLE_BUILD_IMAGES: 'false',
        PORTHOLE_CHECKIN_SECONDS: '1',
      });
      const admin = await new ApiClient(u.url, { ca: u.ca }).signIn('admin@porthole.local', ADMIN_PASSWORD);
      const local = async (): Promise<AgentEngine | undefined> => {
        const r = await admin.get<{ items: AgentEngine[] }>('/api/admin/agents');
        return r.body.items.find((a) => a.name === 'local');
      };
      const waitFor = async (want: boolean, timeoutMs: number) => {
        const deadline = Date.now() + timeoutMs;
        let last: AgentEngine | undefined;
        while (Date.now() < deadline) {
          last = await local();
          if (last?.engine?.reachable === want) return last;
          await sleep(250);
        }
        throw new Error(`engine.reachable never became ${want}: ${JSON.stringify(last)}`);
      };

      const before = await waitFor(true, 15_000);
      expect(before.engine?.version).toMatch(/^\d+\./);

      await dockerd.stop();
      const after = await waitFor(false, 10_000);
      expect(after.engine?.error).toMatch(/docker/i);
      await sleep(3_000);
      expect(
        warnings(u.proc.stdout).filter((m) => m.startsWith('Docker Engine unreachable')),
        u.proc.stdout.slice(-4000),
      ).toHaveLength(1);
      expect(await u.proc.terminate()).toEqual({ code: 0, signal: null });
    } finally {
      await dockerd.cleanup();
    }
  }, 150_000);
});
