import type { ImageView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlPlane,
  containerOf,
  containersOf,
  events,
  launch,
  SMALL,
  session,
  type TestAgent,
  type TestUser,
  waitState,
} from './support.js';

/**
 * Keepalive expiry on a real agent: the All Users group says 60 s and an action; a session whose
 * keepalive is (made, in SQL) two minutes old gets that action from the manager's expiry loop,
 * which runs every 5 s.
 */
let plane: ControlPlane;
let agent: TestAgent;
let firefox: ImageView;
let stopper: TestUser;
let deleter: TestUser;

beforeAll(async () => {
  plane = await ControlPlane.start('expiry');
  firefox = await plane.patchImage((await plane.image('firefox')).id, SMALL);
  agent = await plane.agent('expiry');
  await agent.waitReady();
  stopper = await plane.user('stopper');
  deleter = await plane.user('deleter');
});

afterAll(async () => {
  await plane?.close();
});

async function backdateKeepalive(sessionId: string): Promise<void> {
  const rows = await plane.sql(
    `update sessions set keepalive_at = now() - interval '2 minutes' where id = $1 returning id`,
    [sessionId],
  );
  expect(rows).toHaveLength(1);
}

describe('keepalive expiry', () => {
  it('stops or deletes a session whose keepalive expired, as its group said when it was launched', async () => {
    // The action is taken from the owner's groups at launch: one session under each.
    await plane.setAllUsersSettings({ keepalive_expiration: 60, keepalive_expiration_action: 'stop' });
    const toStop = await launch(stopper.api, firefox.id);
    expect(toStop.status, JSON.stringify(toStop.body)).toBe(201);
    await plane.setAllUsersSettings({ keepalive_expiration: 60, keepalive_expiration_action: 'delete' });
    const toDelete = await launch(deleter.api, firefox.id);
    expect(toDelete.status, JSON.stringify(toDelete.body)).toBe(201);
    const stopId = toStop.body.id;
    const deleteId = toDelete.body.id;
    const running = await waitState(stopper.api, stopId, 'running', 90_000);
    await waitState(deleter.api, deleteId, 'running', 90_000);
    // 60 s from the last keepalive.
    expect(Date.parse(running.expiresAt ?? '') - Date.parse(running.keepaliveAt)).toBe(60_000);

    const backdatedAt = Date.now();
    await backdateKeepalive(stopId);
    await backdateKeepalive(deleteId);

    // The loop runs every 5 s; the stop itself is the container's SIGTERM.
    const stopped = await waitState(stopper.api, stopId, 'stopped', 20_000);
    const deleted = await waitState(deleter.api, deleteId, 'deleted', 20_000);
    const tookMs = Date.now() - backdatedAt;
    expect(tookMs).toBeLessThan(20_000);
    expect(stopped.stateReason).toBe('keepalive expired');
    expect(deleted.stateReason).toBe('keepalive expired');

    expect((await containerOf(stopId)).State.Running).toBe(false);
    expect(await containersOf(deleteId)).toEqual([]);
    expect((await events(stopper.api, stopId)).slice(-2)).toEqual([
      expect.objectContaining({ state: 'stopping', reason: 'keepalive expired' }),
      expect.objectContaining({ state: 'stopped', reason: 'keepalive expired' }),
    ]);
    expect((await events(deleter.api, deleteId)).slice(-2).map((e) => e.state)).toEqual([
      'deleting',
      'deleted',
    ]);

    // A stopped session is not expired again; the owner can bring it back.
    const back = await stopper.api.expect<{ state: string }>(200, 'POST', `/api/sessions/${stopId}/resume`);
    expect(back.state).toBe('running');
    // Resuming is the owner at work: it counts as a keepalive, so the next tick leaves it alone
    // (a fresh keepalive is not expired).
    await new Promise((r) => setTimeout(r, 6_000));
    expect((await session(stopper.api, stopId)).state).toBe('running');
  });
});
