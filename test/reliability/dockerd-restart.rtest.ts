import type { SessionEvent } from '@porthole/contracts';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_LABELS } from '../../packages/agent/src/sessions/container-spec.js';
import { createTestDatabase, type TestDatabase } from '../integration/support/database.js';
import { recordFigure, Steps } from './support/figures.js';
import { docker, ensureRfbLiteImage, RFB_LITE_IMAGE } from './support/images.js';
import { assertBuilt, stopAllChildren } from './support/processes.js';
import { rfbBanner } from './support/rfb.js';
import { OwnDockerd } from './support/services.js';
import { AgentProcess, Plane, ServerProcess, type TestUser, waitState } from './support/stack.js';
import { sleep, until } from './support/wait.js';

/**
 * Scenario 3a — restart dockerd under an agent. The agent (`porthole agent`) runs on a Docker
 * daemon of the scenario's own (its own data root, exec root, socket and bridge; `--live-restore`
 * as on a production host), the server (`porthole server`) on the shared test Postgres. Two
 * sessions run; dockerd is stopped, left down for a while, and started again. Proven: the agent
 * notices, keeps checking in meanwhile (no session is failed or lost), reconnects to the event
 * stream and reconciles; the same sessions are running on the same containers (never restarted),
 * reachable through the server's proxy, and a new launch works.
 */
const SESSIONS = 2;
const DOWN_MS = 6_000;

let db: TestDatabase;
let dockerd: OwnDockerd;
let server: ServerProcess;
let agent: AgentProcess;
let plane: Plane;
let imageId = '';
const owners: TestUser[] = [];
const sessionIds: string[] = [];
const containers = new Map<string, { id: string; startedAt: string }>();

async function containerOf(sessionId: string): Promise<Docker.ContainerInspectInfo> {
  const list = await dockerd.docker.listContainers({
    all: true,
    filters: { label: [`${SESSION_LABELS.session}=${sessionId}`] },
  });
  if (list.length !== 1) throw new Error(`session ${sessionId} has ${list.length} containers`);
  return dockerd.docker.getContainer(list[0]?.Id ?? '').inspect();
}

beforeAll(async () => {
  const steps = new Steps('dockerd-restart');
  await assertBuilt();
  await ensureRfbLiteImage();
  dockerd = await OwnDockerd.start();
  steps.mark('own dockerd up');
  await dockerd.loadFrom(docker, RFB_LITE_IMAGE);
  steps.mark('image loaded into it');
  db = await createTestDatabase('rel_dockerd');
  server = await ServerProcess.create({ databaseUrl: db.url });
  await server.start();
  plane = await new Plane(server.url, db.url).signInAdmin();
  imageId = (await plane.workspace({ name: `lite-${plane.run}`, dockerImage: RFB_LITE_IMAGE })).id;
  agent = await AgentProcess.create({
    name: `dockerd-${plane.run}`,
    serverUrl: server.url,
    token: await plane.registrationToken(),
    dockerSocket: dockerd.socket,
  });
  await agent.start();
  await plane.waitAgentReady(agent.agentId, [RFB_LITE_IMAGE]);
  for (let i = 0; i < SESSIONS; i += 1) {
    const u = await plane.user('docked');
    owners.push(u);
    sessionIds.push((await u.api.expect<{ id: string }>(201, 'POST', '/api/sessions', { imageId })).id);
  }
  await Promise.all(
    sessionIds.map((id, i) => waitState(owners[i]?.api ?? plane.admin, id, 'running', 180_000)),
  );
  for (const id of sessionIds) {
    const c = await containerOf(id);
    containers.set(id, { id: c.Id, startedAt: c.State.StartedAt });
  }
  steps.mark('sessions running');
}, 400_000);

afterAll(async () => {
  await agent?.cleanup();
  await server?.cleanup();
  await dockerd?.cleanup();
  await stopAllChildren();
  await db?.drop();
});

const events = async (i: number): Promise<SessionEvent[]> =>
  (
    await (owners[i]?.api ?? plane.admin).expect<{ items: SessionEvent[] }>(
      200,
      'GET',
      `/api/sessions/${sessionIds[i]}/events`,
    )
  ).items;

describe('a dockerd restart under an agent', () => {
  it('keeps the sessions; the agent reconnects and reconciles', async () => {
    const before = await Promise.all(sessionIds.map((_, i) => events(i)));
    const stoppedAt = Date.now();
    await dockerd.stop();
    // Down for a while: the agent notices (one warning for the outage), and its check-ins go on.
    await agent.child?.waitForLine((l) => String(l.msg).startsWith('Docker Engine unreachable'), 30_000);
    const lastCheckinBefore = Date.parse((await plane.agent(agent.agentId)).lastCheckinAt ?? '');
    await sleep(DOWN_MS);
    const during = await plane.agent(agent.agentId);
    expect(during.status).toBe('online');
    expect(Date.parse(during.lastCheckinAt ?? '')).toBeGreaterThan(lastCheckinBefore);
    for (const [i, id] of sessionIds.entries())
      expect(
        (await (owners[i]?.api ?? plane.admin).expect<{ state: string }>(200, 'GET', `/api/sessions/${id}`))
          .state,
      ).toBe('running');

    await dockerd.resume();
    const downSeconds = (Date.now() - stoppedAt) / 1000;
    const backAt = Date.now();
    await agent.child?.waitForLine((l) => l.msg === 'Docker Engine is back', 60_000);
    const reconnectSeconds = (Date.now() - backAt) / 1000;

    // Same containers, never restarted (live-restore), one each, and nothing changed state.
    for (const [i, id] of sessionIds.entries()) {
      const c = await containerOf(id);
      expect(c.Id).toBe(containers.get(id)?.id);
      expect(c.State.Running).toBe(true);
      expect(c.State.StartedAt).toBe(containers.get(id)?.startedAt);
      expect(await waitState(owners[i]?.api ?? plane.admin, id, 'running', 10_000)).toMatchObject({
        state: 'running',
      });
    }
    // A few check-ins later still nothing has moved.
    await sleep(6_000);
    for (const [i] of sessionIds.entries()) expect((await events(i)).length).toBe(before[i]?.length);
    for (const [i, id] of sessionIds.entries())
      expect(await rfbBanner(owners[i]?.api ?? plane.admin, id)).toBe('RFB 003.008\n');

    // The agent drives this Docker again: a new launch runs.
    const newcomer = await plane.user('after-restart');
    const launched = await newcomer.api.expect<{ id: string }>(201, 'POST', '/api/sessions', { imageId });
    await waitState(newcomer.api, launched.id, 'running', 120_000);
    expect(await rfbBanner(newcomer.api, launched.id)).toBe('RFB 003.008\n');
    const view = await until('the allocation to count three sessions', async () => {
      const v = await plane.agent(agent.agentId);
      return v.sessionCount === SESSIONS + 1 ? v : undefined;
    });
    expect(view.status).toBe('online');
    recordFigure('dockerd-restart', {
      sessions: SESSIONS,
      dockerdDownSeconds: Math.round(downSeconds * 10) / 10,
      agentReconnectedAfterSeconds: Math.round(reconnectSeconds * 10) / 10,
      sessionStateChanges: 0,
    });
  });
});
