import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { type RunningAgent, startAgent } from '@porthole/agent';
import type { AgentView, ImageView, SessionView } from '@porthole/contracts';
import pino from 'pino';
import type { TempDirs } from '../support/temp.js';
import { call, expectStatus, type People, type Person, until } from './support.js';

const run = promisify(execFile);
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';

/** A real agent in this process on the local Docker, registered with `baseUrl` (check-in every second). */
export async function startTestAgent(
  baseUrl: string,
  people: People,
  temps: TempDirs,
  name: string,
): Promise<RunningAgent> {
  const { token } = (await call(baseUrl, people.admin, 'GET', '/api/admin/agents/registration-token')).json<{
    token: string;
  }>();
  return startAgent(
    {
      serverUrl: baseUrl,
      token,
      name: `${name}-${randomUUID().slice(0, 6)}`,
      listen: { host: '127.0.0.1', port: 0 },
      dockerHost: `unix://${SOCKET}`,
      stateDir: await temps.make(`porthole-${name}-agent-`),
      checkinIntervalSeconds: 1,
    },
    pino({ level: process.env.PORTHOLE_TEST_LOG ?? 'silent' }),
  );
}

/**
 * An image `ref` pinned to `agentId` for `groupIds`, launched by `owner` and waited for until it
 * runs (the agent holds the image first: it keeps only images the server wants). Returns the id.
 */
export async function launchRealSession(
  baseUrl: string,
  people: People,
  opts: { agentId: string; ref: string; groupIds: string[]; owner: Person; memoryMb: number },
): Promise<string> {
  const { agentId, ref } = opts;
  const image = expectStatus(
    await call(baseUrl, people.admin, 'POST', '/api/admin/images', {
      name: `real-${randomUUID().slice(0, 6)}`,
      friendlyName: `Test ${ref}`,
      dockerImage: ref,
      cores: 0.25,
      memoryMb: opts.memoryMb,
      agentId,
      groupIds: opts.groupIds,
    }),
    201,
    'image create',
  ).json<ImageView>();
  await until(
    `the agent to hold ${ref}`,
    async () => {
      const r = (await call(baseUrl, people.admin, 'GET', `/api/admin/agents/${agentId}`)).json<AgentView>();
      return r.status === 'online' && r.images.some((i) => i.ref === ref && i.state === 'present')
        ? r
        : undefined;
    },
    60_000,
    250,
  );
  const sessionId = expectStatus(
    await call(baseUrl, opts.owner, 'POST', '/api/sessions', { imageId: image.id }),
    201,
    'launch',
  ).json<SessionView>().id;
  await until(
    'the session to run',
    async () => {
      const s = (await call(baseUrl, opts.owner, 'GET', `/api/sessions/${sessionId}`)).json<SessionView>();
      if (s.state === 'error') throw new Error(`session failed: ${s.stateReason}`);
      return s.state === 'running' ? s : undefined;
    },
    90_000,
    250,
  );
  return sessionId;
}

/** Removes whatever container the session left behind (after the agent stopped). */
export async function removeSessionContainers(sessionId: string): Promise<void> {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=io.porthole.session=${sessionId}`]);
  const ids = stdout.split('\n').filter((s) => s.length > 0);
  if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]);
}
