import type { HealthResponse, SystemInfo } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, nextAddress } from '../support/http.js';
import { FakeAgent } from './support/fake-agent.js';
import { recordFigure, Steps } from './support/figures.js';
import { assertBuilt, stopAllChildren } from './support/processes.js';
import { OwnPostgres } from './support/services.js';
import { Plane, ServerProcess } from './support/stack.js';
import { sleep, until } from './support/wait.js';

/**
 * Scenario 3b — restart PostgreSQL under a running server. `porthole server` runs on a cluster of
 * the scenario's own, which is crashed (`pg_ctl stop -m immediate`) and, after a while, started
 * again. Proven: meanwhile `/api/health` answers 503 with a reason, promptly (no hang), every
 * time, and the rest of the API answers 503 `unavailable` (not 500); once the database is back the same server process (same pid, same start time) answers
 * 200 again by itself, old sign-in cookies still work, writes work, and agents check in again.
 */
const DOWN_MS = 8_000;

let pg: OwnPostgres;
let server: ServerProcess;
let plane: Plane;
let agent: FakeAgent;

beforeAll(async () => {
  const steps = new Steps('postgres-restart');
  await assertBuilt();
  pg = await OwnPostgres.start();
  steps.mark('own postgres up');
  server = await ServerProcess.create({ databaseUrl: pg.url });
  await server.start();
  plane = await new Plane(server.url, pg.url).signInAdmin();
  agent = await FakeAgent.start({
    serverUrl: server.url,
    token: await plane.registrationToken(),
    name: `pg-${plane.run}`,
    images: [],
    checkinMs: 1000,
  });
  steps.mark('server and agent up');
}, 300_000);

afterAll(async () => {
  await agent?.close();
  await server?.cleanup();
  await stopAllChildren();
  await pg?.cleanup();
});

async function health(): Promise<{ status: number; body: HealthResponse; ms: number }> {
  const r = await new ApiClient(server.url, {
    forwardedFor: nextAddress(),
    timeoutMs: 10_000,
  }).get<HealthResponse>('/api/health');
  return { status: r.status, body: r.body, ms: r.ms };
}

describe('a PostgreSQL restart under the server', () => {
  it('answers 503 with a reason meanwhile and recovers without a restart', async () => {
    expect((await health()).status).toBe(200);
    const pid = server.child?.pid;
    const info = await plane.admin.expect<SystemInfo>(200, 'GET', '/api/admin/system-info');

    const stoppedAt = Date.now();
    await pg.stop('immediate');
    const down = await until(
      'health to say the database is unreachable',
      async () => {
        const h = await health();
        return h.status === 503 ? h : undefined;
      },
      30_000,
      200,
    );
    const to503Seconds = (Date.now() - stoppedAt) / 1000;
    expect(down.body.status).toBe('unavailable');
    expect(down.body.reason ?? '').toMatch(/^database unreachable: /);

    // While it is down, every health call answers 503 with the reason, promptly.
    const samples: number[] = [];
    const deadline = Date.now() + DOWN_MS;
    while (Date.now() < deadline) {
      const h = await health();
      expect(h.status).toBe(503);
      expect(h.body.reason ?? '').toMatch(/^database unreachable: /);
      samples.push(h.ms);
      await sleep(500);
    }
    // The rest of the API says the same: 503 `unavailable` with a retry hint, promptly.
    const during = [
      await plane.admin.get<{ error: { code: string; message: string } }>('/api/admin/users'),
      await plane.admin.get<{ error: { code: string; message: string } }>('/api/sessions'),
      await new ApiClient(server.url, { forwardedFor: nextAddress() }).post<{
        error: { code: string; message: string };
      }>('/api/auth/login', {
        username: 'admin@porthole.local',
        password: 'whatever-password',
      }),
    ];
    for (const r of during) {
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body.error.code).toBe('unavailable');
      expect(r.body.error.message).toMatch(/database is unavailable/);
      expect(r.ms).toBeLessThan(15_000);
    }
    expect(agent.checkinStatuses.get('5xx') ?? 0).toBeGreaterThan(0);

    await pg.resume();
    const resumedAt = Date.now();
    await until('health to be 200 again', async () => (await health()).status === 200, 60_000, 200);
    const recoverSeconds = (Date.now() - resumedAt) / 1000;

    // The same process, never restarted; the old cookie and writes work; agents check in again.
    expect(server.child?.running).toBe(true);
    expect(server.child?.pid).toBe(pid);
    const after = await plane.admin.expect<SystemInfo>(200, 'GET', '/api/admin/system-info');
    expect(after.startedAt).toBe(info.startedAt);
    expect(after.installationId).toBe(info.installationId);
    await plane.user('after-outage');
    const checkinsBefore = agent.checkinStatuses.get('2xx') ?? 0;
    await until(
      'the agent to check in again',
      async () => (agent.checkinStatuses.get('2xx') ?? 0) > checkinsBefore + 1,
      30_000,
    );
    await until(
      'the agent to be online',
      async () => (await plane.agent(agent.agentId)).status === 'online',
      30_000,
    );
    recordFigure('postgres-restart', {
      databaseDownSeconds: Math.round((resumedAt - stoppedAt) / 100) / 10,
      firstHealth503AfterSeconds: Math.round(to503Seconds * 10) / 10,
      health503Samples: samples.length,
      slowestHealthWhileDownMs: Math.round(Math.max(...samples)),
      otherCallsWhileDown: during.map((r) => r.status),
      slowestOtherCallWhileDownMs: Math.round(Math.max(...during.map((r) => r.ms))),
      healthyAgainAfterSeconds: Math.round(recoverSeconds * 10) / 10,
      checkinStatuses: Object.fromEntries(agent.checkinStatuses),
    });
  });
});
