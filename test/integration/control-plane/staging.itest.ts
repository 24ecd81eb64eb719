import type { ImageView, SessionView, StagingView, ZoneView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlPlane,
  containerOf,
  events,
  launch,
  SMALL,
  type TestAgent,
  type TestUser,
  until,
  waitState,
} from './support.js';

/**
 * A staging pool keeps one firefox started on a real agent: a matching launch gets it at once
 * (201 already `running`), measurably faster than an on-demand launch of the same workspace
 * timed in the same test, and the pool starts a replacement.
 */
let plane: ControlPlane;
let agent: TestAgent;
let firefox: ImageView;
let zone: ZoneView;
let user: TestUser;

beforeAll(async () => {
  plane = await ControlPlane.start('staging');
  firefox = await plane.patchImage((await plane.image('firefox')).id, SMALL);
  zone = await plane.defaultZone();
  agent = await plane.agent('staging');
  await agent.waitReady();
  user = await plane.user('stager');
});

afterAll(async () => {
  await plane?.close();
});

/** Milliseconds from the POST until the session is running (polled every 50 ms). */
async function timedLaunch(): Promise<{ ms: number; created: SessionView }> {
  const t0 = performance.now();
  const r = await launch(user.api, firefox.id);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  if (r.body.state !== 'running') await waitState(user.api, r.body.id, 'running', 90_000);
  return { ms: performance.now() - t0, created: r.body };
}

const pool = (id: string) => plane.admin.expect<StagingView>(200, 'GET', `/api/admin/staging/${id}`);

describe('staging', () => {
  it('hands out a standby session at once, faster than on demand, and refills', async () => {
    const onDemand = await timedLaunch();
    expect(onDemand.created.state).toBe('requested');
    expect((await user.api.delete(`/api/sessions/${onDemand.created.id}`)).status).toBe(204);

    const created = await plane.admin.expect<StagingView>(201, 'POST', '/api/admin/staging', {
      zoneId: zone.id,
      imageId: firefox.id,
      desiredCount: 1,
    });
    expect(created).toMatchObject({ desiredCount: 1, readyCount: 0 });
    await until(
      'the pool to have one ready session',
      async () => (await pool(created.id)).readyCount === 1,
      90_000,
    );
    const standby = (
      await plane.admin.expect<{ items: SessionView[] }>(
        200,
        'GET',
        `/api/admin/sessions?agentId=${agent.id}`,
      )
    ).items;
    expect(standby).toHaveLength(1);
    expect(standby[0]).toMatchObject({ userId: null, staged: true, state: 'running' });
    const standbyId = standby[0]?.id ?? '';

    const staged = await timedLaunch();
    expect(staged.created).toMatchObject({ id: standbyId, state: 'running', userId: user.id, staged: false });
    expect(staged.ms).toBeLessThan(onDemand.ms / 2);
    // The stream is there right away, in the container started for the pool.
    expect((await containerOf(standbyId)).State.Running).toBe(true);
    const history = await events(user.api, standbyId);
    expect(history.at(-1)).toMatchObject({ state: 'running', reason: 'assigned from staging' });
    expect(history[0]).toMatchObject({ state: 'requested', reason: 'staged' });

    // The pool starts a replacement.
    const refilled = await until(
      'the pool to refill',
      async () => {
        const p = await pool(created.id);
        return p.readyCount === 1 ? p : undefined;
      },
      90_000,
    );
    expect(refilled.readyCount).toBe(1);
    const now = (
      await plane.admin.expect<{ items: SessionView[] }>(
        200,
        'GET',
        `/api/admin/sessions?agentId=${agent.id}`,
      )
    ).items;
    const replacement = now.find((s) => s.staged);
    expect(replacement?.id).toBeDefined();
    expect(replacement?.id).not.toBe(standbyId);
    console.info(
      `staging: on-demand launch ${Math.round(onDemand.ms)} ms, staged ${Math.round(staged.ms)} ms`,
    );
  });
});
