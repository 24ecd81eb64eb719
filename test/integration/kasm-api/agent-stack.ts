import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RunningAgent, startAgent } from '@porthole/agent';
import type { AgentView, GroupView, ImageView } from '@porthole/contracts';
import pino from 'pino';
import type { ApiClient } from '../../support/http.js';
import type { TestServer } from './support.js';

const run = promisify(execFile);
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
export const WORKSPACE_IMAGE = process.env.PORTHOLE_TEST_WORKSPACE_IMAGE ?? 'porthole/desktop:latest';

/** Whether Docker answers and holds the workspace image (built by scripts/test-images.sh). */
export async function workspaceImagePresent(): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', WORKSPACE_IMAGE], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

export interface AgentStack {
  agent: RunningAgent;
  /** A small workspace (0.5 cores, 1 GiB) on WORKSPACE_IMAGE that every user may launch. */
  image: ImageView;
  stop(): Promise<void>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A real agent in this process, registered with the test server, on the local Docker. */
export async function startAgentFor(t: TestServer, admin: ApiClient): Promise<AgentStack> {
  const token = (await admin.get<{ token: string }>('/api/admin/agents/registration-token')).body.token;
  const stateDir = await mkdtemp(join(tmpdir(), 'porthole-kasm-agent-'));
  const agent = await startAgent(
    {
      serverUrl: t.server.url,
      token,
      name: `kasm-itest-${randomUUID().slice(0, 8)}`,
      listen: { host: '127.0.0.1', port: 0 },
      dockerHost: `unix://${SOCKET}`,
      stateDir,
      checkinIntervalSeconds: 1,
    },
    pino({ level: process.env.PORTHOLE_TEST_LOG ?? 'silent' }),
  );
  await until('the agent to hold the workspace image', async () => {
    const a = (await admin.get<AgentView>(`/api/admin/agents/${agent.agentId}`)).body;
    return a.status === 'online' && a.images.some((i) => i.ref === WORKSPACE_IMAGE && i.state === 'present')
      ? a
      : undefined;
  });
  const groups = (await admin.get<{ items: GroupView[] }>('/api/admin/groups')).body.items;
  const allUsers = groups.find((g) => g.systemRole === 'all_users');
  const created = await admin.post<ImageView>('/api/admin/images', {
    name: `kasm-small-${randomUUID().slice(0, 6)}`,
    friendlyName: 'Kasm test desktop',
    dockerImage: WORKSPACE_IMAGE,
    cores: 0.5,
    memoryMb: 1024,
    groupIds: allUsers ? [allUsers.id] : [],
  });
  if (created.status !== 201) throw new Error(`image create failed: ${JSON.stringify(created.body)}`);
  return {
    agent,
    image: created.body,
    async stop() {
      const live = await admin.get<{ items: Array<{ id: string }> }>(
        `/api/admin/sessions?agentId=${agent.agentId}`,
      );
      for (const s of live.body.items ?? []) await admin.delete(`/api/admin/sessions/${s.id}`);
      await agent.close();
      // Anything the agent left behind (a failed test midway) goes too.
      const { stdout } = await run('docker', [
        'ps',
        '-aq',
        '--filter',
        `label=io.porthole.agent=${agent.agentId}`,
      ]);
      const ids = stdout.split('\n').filter((s) => s.length > 0);
      if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export { until };
