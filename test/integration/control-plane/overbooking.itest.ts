import type { ImageView, SessionView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlPlane,
  containersOf,
  launch,
  SMALL,
  type TestAgent,
  type TestUser,
  until,
  waitState,
} from './support.js';

/**
 * Fifty users launch at the same instant against an agent that has room for exactly two
 * sessions: two get 201 and 48 get 503, never a third container. The reservation is taken in
 * the launch's transaction, so the count holds across concurrent requests.
 */
const USERS = 50;
const CAPACITY = 2;
let plane: ControlPlane;
let agent: TestAgent;
let firefox: ImageView;
let users: TestUser[];

beforeAll(async () => {
  plane = await ControlPlane.start('overbook');
  await plane.setAllUsersSettings({ max_sessions_per_user: 1 });
  firefox = await plane.patchImage((await plane.image('firefox')).id, SMALL);
  agent = await plane.agent('overbook');
  await agent.waitReady();
  // Room for exactly CAPACITY sessions by cores (memory is ample).
  await agent.patch({ coresOverride: SMALL.cores * CAPACITY, memoryMbOverride: 64 * 1024 });
  users = [];
  // A few at a time: argon2 (create and sign-in) on two cores is the slow part.
  while (users.length < USERS)
    users.push(...(await Promise.all(Array.from({ length: 5 }, () => plane.user('crowd')))));
});

afterAll(async () => {
  await plane?.close();
});

describe('concurrent launches against tight capacity', () => {
  it(`gives exactly ${CAPACITY} of ${USERS} simultaneous launches a session and refuses the rest with 503`, async () => {
    await until('a fresh check-in', async () => (await agent.view()).lastCheckinAgeSeconds === 0, 10_000, 50);
    const t0 = performance.now();
    const replies = await Promise.all(users.map((u) => launch(u.api, firefox.id)));
    const burstMs = performance.now() - t0;
    const statuses = replies.map((r) => r.status);
    const accepted = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status === 503);
    expect(accepted, JSON.stringify(statuses)).toHaveLength(CAPACITY);
    expect(refused).toHaveLength(USERS - CAPACITY);
    // The placement reason names the agent and why. A burst this size queues the agent's own
    // check-in behind the launches for the database pool, so the last refusals may already see
    // it as silent (offline) rather than full; both are refusals, and the count is what matters.
    const reasons = refused.map((r) => r.body.error.message);
    for (const r of refused) expect(r.body.error.code).toBe('unavailable');
    const full = reasons.filter((m) => m.includes(`${agent.name}: 0 of ${SMALL.cores} cores free`));
    const silent = reasons.filter((m) => m.includes(`${agent.name}: offline`));
    expect(full.length + silent.length).toBe(refused.length);
    expect(full.length).toBeGreaterThan(0);
    console.info(
      `overbooking: ${USERS} launches in ${Math.round(burstMs)} ms; refused as full ${full.length}, as offline ${silent.length}`,
    );
    for (const r of accepted) expect(r.body.agentId).toBe(agent.id);

    const view = await agent.view();
    expect(view.cores).toMatchObject({ total: SMALL.cores * CAPACITY, allocated: SMALL.cores * CAPACITY });
    expect(view.memoryMb.allocated).toBe(SMALL.memoryMb * CAPACITY);
    expect(view.sessionCount).toBe(CAPACITY);

    // The database agrees: CAPACITY live sessions in all, and each owner got one.
    const live = (
      await plane.admin.expect<{ items: SessionView[] }>(
        200,
        'GET',
        `/api/admin/sessions?agentId=${agent.id}`,
      )
    ).items;
    expect(live).toHaveLength(CAPACITY);
    expect(new Set(live.map((s) => s.userId)).size).toBe(CAPACITY);

    // They really start, one container each, and nothing else appears.
    for (const r of accepted) {
      const owner = users[replies.indexOf(r)];
      if (!owner) throw new Error('lost track of an owner');
      await waitState(owner.api, r.body.id, 'running', 120_000);
      expect(await containersOf(r.body.id)).toHaveLength(1);
    }
    const ours = await until('the agent to report its containers', async () => {
      const v = await agent.view();
      return v.sessionCount === CAPACITY ? v : undefined;
    });
    expect(ours.cores.allocated).toBeLessThanOrEqual(ours.cores.total);

    // A slot freed is a slot taken: one of the refused users now gets in.
    const first = accepted[0];
    const firstOwner = first ? users[replies.indexOf(first)] : undefined;
    if (!first || !firstOwner) throw new Error('no accepted launch');
    expect((await firstOwner.api.delete(`/api/sessions/${first.body.id}`)).status).toBe(204);
    const late = users[replies.indexOf(refused[0] ?? first)];
    if (!late) throw new Error('no refused user');
    const retry = await launch(late.api, firefox.id);
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    await waitState(late.api, retry.body.id, 'running', 120_000);
    expect((await agent.view()).cores.allocated).toBe(SMALL.cores * CAPACITY);
  });
});
