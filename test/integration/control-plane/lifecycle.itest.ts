import { randomUUID } from 'node:crypto';
import type { AgentView, ImageView, SessionView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../support/http.js';
import {
  ControlPlane,
  containerOf,
  containersOf,
  events,
  FIREFOX,
  launch,
  rfbBanner,
  SMALL,
  session,
  sleep,
  type TestAgent,
  type TestUser,
  until,
  waitState,
} from './support.js';

/**
 * One agent on the local Docker, registered with a real server: it shows up with its resources,
 * and a user's firefox session goes through its whole life with a real container behind it.
 * Launch refusals (limits, disabled or not-allowed workspaces, unknown ids, bad bodies) too.
 */
let plane: ControlPlane;
let agent: TestAgent;
let firefox: ImageView;
let alice: TestUser;

beforeAll(async () => {
  plane = await ControlPlane.start('lifecycle');
  await plane.setAllUsersSettings({ max_sessions_per_user: 1 });
  firefox = await plane.patchImage((await plane.image('firefox')).id, SMALL);
  agent = await plane.agent('life');
  await agent.waitReady();
  alice = await plane.user('alice');
});

afterAll(async () => {
  await plane?.close();
});

describe('an agent registered with the server', () => {
  it('is listed online with its resources, Docker version and image pull states', async () => {
    const list = await plane.admin.expect<{ items: AgentView[] }>(200, 'GET', '/api/admin/agents');
    const view = list.items.find((a) => a.id === agent.id);
    expect(view).toBeDefined();
    expect(view).toMatchObject({ name: agent.name, status: 'online', enabled: true, draining: false });
    expect(view?.cores.total).toBeGreaterThan(0);
    expect(view?.memoryMb.total).toBeGreaterThan(256);
    expect(view?.diskFreeBytes).toBeGreaterThan(0);
    expect(view?.dockerVersion).toMatch(/^\d+\.\d+/);
    expect(view?.lastCheckinAgeSeconds).toBeLessThanOrEqual(3);
    expect(view?.url).toBe(agent.running?.url);
    // Every enabled default workspace is built on this machine: all present, none pulling.
    const refs = Object.fromEntries((view?.images ?? []).map((i) => [i.ref, i.state]));
    expect(refs).toMatchObject({
      [FIREFOX]: 'present',
      'porthole/desktop:latest': 'present',
      'porthole/desktop-deluxe:latest': 'present',
    });
  });
});

describe('a session through its life', () => {
  it('launches, runs in a labelled and limited container, keeps alive, pauses, resumes, stops, resumes and goes', async () => {
    const created = await launch(alice.api, firefox.id);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      state: 'requested',
      userId: alice.id,
      imageId: firefox.id,
      agentId: agent.id,
      cores: SMALL.cores,
      memoryMb: SMALL.memoryMb,
      streamPath: `/session/${created.body.id}/`,
    });
    const id = created.body.id;
    const running = await waitState(alice.api, id, 'running', 90_000);
    expect(running.runningAt).not.toBeNull();

    // The container: the session's labels, the workspace's limits, 6901 on loopback only.
    const c = await containerOf(id);
    expect(c.State.Running).toBe(true);
    expect(c.Config.Image).toBe(FIREFOX);
    expect(c.Config.Labels).toMatchObject({
      'io.porthole.session': id,
      'io.porthole.agent': agent.id,
      'io.porthole.owner': alice.id,
      'io.porthole.image': 'firefox',
    });
    expect(c.HostConfig.Memory).toBe(SMALL.memoryMb * 1024 * 1024);
    expect(c.HostConfig.NanoCpus).toBe(SMALL.cores * 1e9);
    for (const b of c.NetworkSettings.Ports['6901/tcp'] ?? []) expect(b.HostIp).toBe('127.0.0.1');
    const containerId = c.Id;

    // The agent's view counts what the session holds.
    const held = await agent.view();
    expect(held.cores.allocated).toBe(SMALL.cores);
    expect(held.memoryMb.allocated).toBe(SMALL.memoryMb);
    expect(held.sessionCount).toBe(1);
    // …and, once the agent sampled the container, what it really uses.
    await until(
      'the agent to report the session memory in use',
      async () => (await agent.view()).memoryMb.used > 0,
    );

    // The owner's limit is one session: a second launch is refused with the limit.
    const second = await launch(alice.api, firefox.id);
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('conflict');
    expect(second.body.error.details).toMatchObject({ limit: 1 });

    // Keepalive moves keepaliveAt forward.
    await sleep(1100);
    const kept = await alice.api.expect<SessionView>(200, 'POST', `/api/sessions/${id}/keepalive`);
    expect(Date.parse(kept.keepaliveAt)).toBeGreaterThan(Date.parse(running.keepaliveAt));
    expect(Date.parse(kept.keepaliveAt)).toBeGreaterThanOrEqual(Date.now() - 5_000);

    expect((await events(alice.api, id)).map((e) => e.state)).toEqual([
      'requested',
      'provisioning',
      'starting',
      'running',
    ]);

    // Pause: the container is frozen.
    const paused = await alice.api.expect<SessionView>(200, 'POST', `/api/sessions/${id}/pause`);
    expect(paused.state).toBe('paused');
    expect((await containerOf(id)).State.Paused).toBe(true);
    // A paused session does not stream.
    await expect(rfbBanner(alice.api, id, 5_000)).rejects.toThrow(/HTTP 409/);

    const resumed = await alice.api.expect<SessionView>(200, 'POST', `/api/sessions/${id}/resume`);
    expect(resumed.state).toBe('running');
    const unpaused = await containerOf(id);
    expect(unpaused.State).toMatchObject({ Running: true, Paused: false });
    expect(await rfbBanner(alice.api, id)).toBe('RFB 003.008\n');

    const stopped = await alice.api.expect<SessionView>(200, 'POST', `/api/sessions/${id}/stop`);
    expect(stopped.state).toBe('stopped');
    expect((await containerOf(id)).State.Running).toBe(false);
    // Stopping twice is a conflict, not a second stop.
    expect((await alice.api.post<ErrorBody>(`/api/sessions/${id}/stop`)).status).toBe(409);

    // Resume from stopped starts the same container again and waits until it streams.
    const again = await alice.api.expect<SessionView>(200, 'POST', `/api/sessions/${id}/resume`);
    expect(again.state).toBe('running');
    const restarted = await containerOf(id);
    expect(restarted.Id).toBe(containerId);
    expect(restarted.State.Running).toBe(true);
    expect(await rfbBanner(alice.api, id)).toBe('RFB 003.008\n');

    expect((await events(alice.api, id)).map((e) => e.state)).toEqual([
      'requested',
      'provisioning',
      'starting',
      'running',
      'pausing',
      'paused',
      'resuming',
      'running',
      'stopping',
      'stopped',
      'resuming',
      'running',
    ]);

    const gone = await alice.api.delete<undefined>(`/api/sessions/${id}`);
    expect(gone.status).toBe(204);
    expect(await containersOf(id)).toEqual([]);
    const after = await alice.api.expect<SessionView>(200, 'GET', `/api/sessions/${id}`);
    expect(after.state).toBe('deleted');
    expect((await alice.api.expect<{ items: SessionView[] }>(200, 'GET', '/api/sessions')).items).toEqual([]);
    const freed = await agent.view();
    expect(freed.cores.allocated).toBe(0);
    expect(freed.sessionCount).toBe(0);
  });
});

describe('launch refusals', () => {
  it('refuses a disabled workspace (403), a workspace not allowed to the user (403) and an unknown one (404)', async () => {
    const disabled = await plane.createImage({ name: `off-${plane.run}`, enabled: false });
    const notAllowed = await plane.createImage({ name: `admins-only-${plane.run}`, groupIds: [] });
    const bob = await plane.user('bob');

    const r1 = await launch(bob.api, disabled.id);
    expect(r1.status).toBe(403);
    expect(r1.body.error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/disabled/) });
    const r2 = await launch(bob.api, notAllowed.id);
    expect(r2.status).toBe(403);
    expect(r2.body.error.code).toBe('forbidden');
    const r3 = await launch(bob.api, randomUUID());
    expect(r3.status).toBe(404);
    expect(r3.body.error.code).toBe('not_found');
    // Nothing was created for any of them.
    expect((await bob.api.expect<{ items: SessionView[] }>(200, 'GET', '/api/sessions')).items).toEqual([]);
  });

  it('answers 400 naming the field for a bad body', async () => {
    const cases: Array<{ body: unknown; field: string }> = [
      { body: {}, field: 'imageId' },
      { body: { imageId: 'not-a-uuid' }, field: 'imageId' },
      { body: { imageId: firefox.id, zoneId: 42 }, field: 'zoneId' },
      { body: { imageId: firefox.id, url: 'no url' }, field: 'url' },
    ];
    for (const c of cases) {
      const r = await alice.api.post<ErrorBody>('/api/sessions', c.body);
      expect(r.status, JSON.stringify(c.body)).toBe(400);
      expect(r.body.error.code).toBe('invalid');
      expect(r.body.error.message).toContain(c.field);
      expect(r.body.error.details).toMatchObject({ issues: [expect.objectContaining({ field: c.field })] });
    }
    const extra = await alice.api.post<ErrorBody>('/api/sessions', { imageId: firefox.id, cores: 64 });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('cores');
    const notJson = await alice.api.request<ErrorBody>('POST', '/api/sessions', '{"imageId":');
    expect(notJson.status).toBe(400);
    // An unknown zone is a bad field too.
    const zone = await launch(alice.api, firefox.id, { zoneId: randomUUID() });
    expect(zone.status).toBe(400);
    expect(zone.body.error.message).toContain('zoneId');
  });
});

describe('a session deleted while it starts', () => {
  it('loses its container at once and leaves nothing waiting on the agent', async () => {
    const carol = await plane.user('carol');
    const r = await launch(carol.api, firefox.id);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    // Created and started, not yet answering RFB: the server is waiting on the agent's readiness.
    await waitState(carol.api, r.body.id, 'starting', 60_000);
    expect((await carol.api.delete(`/api/sessions/${r.body.id}`)).status).toBe(204);
    expect(await containersOf(r.body.id)).toEqual([]);
    expect((await session(carol.api, r.body.id)).state).toBe('deleted');
    // The readiness wait for the removed container ended with it: the agent stops at once rather
    // than after the wait's timeout (90 s), which an in-flight request would hold it for.
    const t0 = Date.now();
    await agent.stop();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await events(carol.api, r.body.id)).map((e) => e.state)).toEqual([
      'requested',
      'provisioning',
      'starting',
      'deleting',
      'deleted',
    ]);
  });
});
