import type { ImageView, SessionView, ZoneView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlPlane,
  containerOf,
  launch,
  SMALL,
  type TestAgent,
  type TestUser,
  waitState,
} from './support.js';

/**
 * Placement across two agents in two zones, both real agents on this machine's Docker (two
 * agent APIs on different loopback ports): zone restrictions, alternate-zone fallback when the
 * home zone is full (and its refusal, with the reason, when the zone does not allow it), drain.
 * Capacity is made tight with core overrides instead of by starting many containers.
 */
let plane: ControlPlane;
let agentA: TestAgent;
let agentB: TestAgent;
let zoneA: ZoneView;
let zoneB: ZoneView;
let firefox: ImageView;
let onlyB: ImageView;
let user: TestUser;

beforeAll(async () => {
  plane = await ControlPlane.start('placement');
  await plane.setAllUsersSettings({ max_sessions_per_user: 10 });
  firefox = await plane.patchImage((await plane.image('firefox')).id, SMALL);
  zoneA = await plane.defaultZone();
  zoneB = await plane.admin.expect<ZoneView>(201, 'POST', '/api/admin/zones', {
    name: 'B',
    searchAlternateZones: false,
  });
  onlyB = await plane.createImage({ name: `only-b-${plane.run}`, zoneId: zoneB.id });
  [agentA, agentB] = await Promise.all([plane.agent('zone-a'), plane.agent('zone-b', 'B')]);
  await Promise.all([agentA.waitReady(), agentB.waitReady()]);
  user = await plane.user('placer');
});

afterAll(async () => {
  await plane?.close();
});

async function running(r: Awaited<ReturnType<typeof launch>>): Promise<SessionView> {
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return waitState(user.api, r.body.id, 'running', 90_000);
}

describe('placement across zones', () => {
  it('registers each agent in its zone', async () => {
    expect((await agentA.view()).zoneId).toBe(zoneA.id);
    expect((await agentB.view()).zoneId).toBe(zoneB.id);
    const zones = await plane.zones();
    expect(zones.find((z) => z.id === zoneB.id)?.agentCount).toBe(1);
  });

  it('runs a workspace restricted to zone B on agent B, and refuses it elsewhere', async () => {
    const r = await launch(user.api, onlyB.id);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ agentId: agentB.id, zoneId: zoneB.id });
    const s = await running(r);
    expect((await containerOf(s.id)).Config.Labels?.['io.porthole.agent']).toBe(agentB.id);

    const elsewhere = await launch(user.api, onlyB.id, { zoneId: zoneA.id });
    expect(elsewhere.status).toBe(503);
    expect(elsewhere.body.error.message).toMatch(/only in zone B/);
  });

  it('falls back to zone B when zone A is full and allows alternates, and refuses with the reason when not', async () => {
    // Agent A has 0.1 cores for sessions: a 0.5-core workspace does not fit.
    await agentA.patch({ coresOverride: 0.1 });
    await plane.admin.expect(200, 'PATCH', `/api/admin/zones/${zoneA.id}`, { searchAlternateZones: true });
    const r = await launch(user.api, firefox.id, { zoneId: zoneA.id });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ agentId: agentB.id, zoneId: zoneB.id });
    await running(r);

    await plane.admin.expect(200, 'PATCH', `/api/admin/zones/${zoneA.id}`, { searchAlternateZones: false });
    const refused = await launch(user.api, firefox.id, { zoneId: zoneA.id });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body.error.code).toBe('unavailable');
    expect(refused.body.error.message).toContain(`no agent in zone ${zoneA.name}`);
    expect(refused.body.error.message).toContain(`${agentA.name}: 0.1 of 0.5 cores free`);
    await agentA.patch({ coresOverride: null });
  });

  it('places nothing on a draining agent, and leaves its sessions running', async () => {
    const before = await agentB.view();
    expect(before.sessionCount).toBe(2);
    const drained = await agentB.patch({ draining: true });
    expect(drained.status).toBe('draining');

    const r = await launch(user.api, onlyB.id);
    expect(r.status).toBe(503);
    expect(r.body.error.message).toContain(`${agentB.name}: draining`);
    // Zone A allows no alternates, and agent A is the only one there: it takes a plain launch.
    const onA = await launch(user.api, firefox.id);
    expect(onA.status, JSON.stringify(onA.body)).toBe(201);
    expect(onA.body.agentId).toBe(agentA.id);
    await running(onA);

    const mine = (await user.api.expect<{ items: SessionView[] }>(200, 'GET', '/api/sessions')).items;
    const onB = mine.filter((s) => s.agentId === agentB.id);
    expect(onB).toHaveLength(2);
    for (const s of onB) expect(s.state).toBe('running');
    expect((await agentB.view()).sessionCount).toBe(2);

    const undrained = await agentB.patch({ draining: false });
    expect(undrained.status).toBe('online');
  });
});
