import { defaultSettings, type EffectiveSettings, liveSessionStates } from '@porthole/contracts';
import { describe, expect, it, vi } from 'vitest';
import type { AgentClient } from '../agents/agent-client.js';
import type { AgentRepo } from '../agents/agent-repo.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, UnavailableError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import { ManualClock } from '../platform/clock.js';
import { agentRow, DESKTOP_IMAGE, sessionRow } from '../testkit/rows.js';
import type { LaunchImage, LaunchRepo } from './launch-repo.js';
import type { Provisioner } from './provisioner.js';
import type { SessionListRow, SessionRepo, SessionRow } from './session-repo.js';
import { SessionService } from './session-service.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const alice: Caller = { userId: 'u1', username: 'alice', isAdmin: false };
const bob: Caller = { userId: 'u2', username: 'bob', isAdmin: false };
const admin: Caller = { userId: 'u9', username: 'root', isAdmin: true };

const desktop: LaunchImage = {
  id: 'i1',
  name: 'desktop',
  docker_image: DESKTOP_IMAGE,
  cores: 2,
  memory_mb: 2048,
  shm_mb: 256,
  network: null,
  zone_id: null,
  agent_id: null,
  enabled: true,
  run_config: {},
};

type InsertRow = Parameters<SessionRepo['insert']>[0];

/** A row as `findView` answers it (the joins filled in). */
const viewOf = (row: SessionRow): SessionListRow => ({
  ...row,
  username: row.user_id,
  image_name: 'desktop',
  image_friendly_name: 'Desktop',
  agent_name: null,
});

/** A fresh session as `launch` inserts it, for `findView` to answer after the insert. */
const requestedRow = (id: string) =>
  sessionRow({ id, state: 'requested', container_id: null, running_at: null });

function setup(
  opts: {
    rows?: SessionRow[];
    settings?: Partial<EffectiveSettings>;
    allowed?: string[];
    images?: LaunchImage[];
    agents?: ReturnType<typeof agentRow>[];
    staged?: SessionRow;
  } = {},
) {
  const clock = new ManualClock(t0);
  const rows = opts.rows ?? [];
  const byId = (id: string) => rows.find((r) => r.id === id);
  // The repository is mocked: `find` and `findView` answer the rows given, every `transition`
  // succeeds (answering the row in its new state) unless a test says otherwise. Nothing moves:
  // what a test pins is the calls the service makes; the queries have their own itest.
  const sessions = {
    find: vi.fn(async (id: string): Promise<SessionRow | undefined> => {
      const row = byId(id);
      return row && { ...row };
    }),
    findView: vi.fn(async (id: string): Promise<SessionListRow | undefined> => {
      const row = byId(id);
      return row && viewOf(row);
    }),
    transition: vi.fn<SessionRepo['transition']>(async (id, _from, to, reason, now, extra = {}) => {
      const row = byId(id);
      return row && sessionRow({ ...row, state: to, state_reason: reason, updated_at: now, ...extra });
    }),
    keepalive: vi.fn(async (_id: string, _now: Date) => undefined),
    insert: vi.fn(async (_row: InsertRow) => undefined),
    countLiveForUser: vi.fn(
      async (userId: string) => rows.filter((r) => r.user_id === userId && !r.ended_at).length,
    ),
    list: vi.fn<SessionRepo['list']>(async () => []),
    liveOnAgent: vi.fn<SessionRepo['liveOnAgent']>(async () => []),
    events: vi.fn<SessionRepo['events']>(async () => []),
  } satisfies Partial<SessionRepo>;
  const transition = sessions.transition;
  const images = new Map((opts.images ?? [desktop]).map((i) => [i.id, i]));
  const agentRows = opts.agents ?? [agentRow({ id: 'a1', last_checkin_at: t0 })];
  const agents = {
    find: vi.fn(async (id: string) => agentRows.find((a) => a.id === id)),
    list: vi.fn(async () => agentRows),
    allocations: vi.fn(async () => new Map()),
  };
  const txLaunch = {
    zones: vi.fn(async () => [{ id: 'z1', name: 'default', searchAlternateZones: false, isDefault: true }]),
    claimStaged: vi.fn(async (_imageId: string, _zoneId: string | undefined) => opts.staged),
    assignStaged: vi.fn(
      async (_id: string, _a: Parameters<LaunchRepo['assignStaged']>[1], _now: Date) => undefined,
    ),
  };
  const tx = {
    launch: txLaunch as unknown as LaunchRepo,
    sessions: sessions as unknown as SessionRepo,
    agents: agents as unknown as AgentRepo,
  };
  const launch = {
    image: vi.fn(async (id: string) => images.get(id)),
    placementTransaction: vi.fn(async <T>(work: (unit: typeof tx) => Promise<T>) => work(tx)),
  };
  const client = {
    create: vi.fn(),
    ready: vi.fn(async () => ({ readyMs: 10 })),
    action: vi.fn(async (_agent: { id: string; url: string }, sessionId: string, _action: string) => ({
      sessionId,
      containerId: 'c1',
      state: 'running' as const,
      hostPort: 1,
    })),
    destroy: vi.fn(async () => undefined),
    exec: vi.fn(),
    disconnect: vi.fn(),
  };
  const provisioner = { start: vi.fn() };
  const settings: EffectiveSettings = { ...defaultSettings, ...opts.settings };
  const policy = {
    forUser: vi.fn(async (_userId: string) => settings),
    allowedImageIds: vi.fn(async (_userId: string) => new Set(opts.allowed ?? ['i1'])),
  };
  const log = { info: vi.fn(), warn: vi.fn() };
  const events = { emit: vi.fn(async () => undefined) };
  const service = new SessionService({
    sessions: sessions as unknown as SessionRepo,
    agents: agents as unknown as AgentRepo,
    launch: launch as unknown as LaunchRepo,
    client: client as unknown as AgentClient,
    provisioner: provisioner as unknown as Provisioner,
    policy,
    clock,
    checkinSeconds: 5,
    log,
    events,
  });
  return {
    clock,
    sessions,
    transition,
    agents,
    txLaunch,
    launch,
    client,
    provisioner,
    policy,
    log,
    events,
    service,
  };
}

/** Whether the given calls (a mock and which of its calls) happened, in this order. */
function happenedInOrder(...calls: Array<[{ mock: { invocationCallOrder: number[] } }, number]>): boolean {
  const order = calls.map(([fn, n]) => fn.mock.invocationCallOrder[n] ?? Number.NaN);
  return order.every((at, i) => i === 0 || at > (order[i - 1] ?? Number.NaN));
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('SessionService.launch', () => {
  it('places a new session on an agent, answers it as requested and starts the provisioner', async () => {
    const { service, sessions, txLaunch, provisioner, launch } = setup({
      settings: { keepalive_expiration: 600, keepalive_expiration_action: 'stop', session_time_limit: 7200 },
    });
    sessions.findView.mockImplementation(async (id) => viewOf(requestedRow(id)));
    const view = await service.launch(alice, { imageId: 'i1', url: 'https://example.org' });
    expect(view).toMatchObject({
      userId: 'u1',
      imageId: 'i1',
      agentId: 'a1',
      zoneId: 'z1',
      state: 'requested',
    });
    expect(launch.placementTransaction).toHaveBeenCalledTimes(1);
    expect(txLaunch.claimStaged).toHaveBeenCalledWith('i1', undefined);
    expect(sessions.insert).toHaveBeenCalledWith({
      id: view.id,
      userId: 'u1',
      imageId: 'i1',
      agentId: 'a1',
      zoneId: 'z1',
      stagingId: null,
      cores: 2,
      memoryMb: 2048,
      environment: null,
      now: t0,
      keepaliveSeconds: 600,
      keepaliveAction: 'stop',
      expiresAt: new Date(t0.getTime() + 7200_000),
      url: 'https://example.org',
    });
    // The answer is the inserted session read back.
    expect(sessions.findView).toHaveBeenCalledWith(view.id);
    expect(provisioner.start).toHaveBeenCalledWith(view.id);
  });

  it('answers a missing workspace with 404 before taking the placement lock', async () => {
    const { service, launch } = setup();
    const err = await rejection(service.launch(alice, { imageId: 'nope' }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(launch.placementTransaction).not.toHaveBeenCalled();
  });

  it('refuses a disabled workspace', async () => {
    const { service, launch } = setup({ images: [{ ...desktop, enabled: false }] });
    const err = await rejection(service.launch(alice, { imageId: 'i1' }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toMatch(/disabled/);
    expect(launch.placementTransaction).not.toHaveBeenCalled();
  });

  it("refuses a workspace the user's groups do not allow", async () => {
    const { service, policy, launch } = setup({ allowed: ['other'] });
    const err = await rejection(service.launch(alice, { imageId: 'i1' }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toMatch(/may not launch/);
    expect(policy.allowedImageIds).toHaveBeenCalledWith('u1');
    expect(launch.placementTransaction).not.toHaveBeenCalled();
  });

  it('refuses a reserved environment name with a 400 naming the field', async () => {
    const { service, launch } = setup();
    const err = await rejection(
      service.launch(alice, { imageId: 'i1', environment: { FOO: '1', VNC_PW: 'x' } }),
    );
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).details).toEqual({
      issues: [{ field: 'environment.VNC_PW', message: 'is set by the platform and cannot be overridden' }],
    });
    expect(launch.image).not.toHaveBeenCalled();
  });

  it('refuses a launch past the session limit with 409 and the limit', async () => {
    const { service, sessions, provisioner } = setup({ settings: { max_sessions_per_user: 1 } });
    sessions.countLiveForUser.mockResolvedValue(1);
    const err = await rejection(service.launch(alice, { imageId: 'i1' }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).details).toEqual({ limit: 1 });
    expect(sessions.countLiveForUser).toHaveBeenCalledWith('u1');
    expect(sessions.insert).not.toHaveBeenCalled();
    expect(provisioner.start).not.toHaveBeenCalled();
  });

  it('hands out a staged session when there is no environment, without starting the provisioner', async () => {
    const staged = sessionRow({ id: 'st1', user_id: null, staging_id: 'pool-1', state: 'running' });
    const { service, sessions, txLaunch, provisioner } = setup({
      rows: [staged],
      staged,
      settings: { keepalive_expiration: 900 },
    });
    // What the database holds once assignStaged gave it to alice.
    sessions.findView.mockResolvedValueOnce(viewOf({ ...staged, user_id: 'u1' }));
    const view = await service.launch(alice, { imageId: 'i1', zoneId: 'z1' });
    expect(view).toMatchObject({ id: 'st1', userId: 'u1', state: 'running' });
    expect(txLaunch.claimStaged).toHaveBeenCalledWith('i1', 'z1');
    expect(txLaunch.assignStaged).toHaveBeenCalledWith(
      'st1',
      { userId: 'u1', keepaliveSeconds: 900, keepaliveAction: 'delete', expiresAt: null, url: null },
      t0,
    );
    expect(sessions.findView).toHaveBeenCalledWith('st1');
    expect(sessions.insert).not.toHaveBeenCalled();
    expect(provisioner.start).not.toHaveBeenCalled();
  });

  it('never hands out a staged session when the launch brings its own environment', async () => {
    const staged = sessionRow({ id: 'st1', user_id: null, staging_id: 'pool-1', state: 'running' });
    const { service, sessions, txLaunch, provisioner } = setup({ rows: [staged], staged });
    sessions.findView.mockImplementation(async (id) => viewOf(requestedRow(id)));
    const view = await service.launch(alice, { imageId: 'i1', environment: { TOKEN: 'abc' } });
    expect(view.id).not.toBe('st1');
    expect(txLaunch.claimStaged).not.toHaveBeenCalled();
    expect(txLaunch.assignStaged).not.toHaveBeenCalled();
    expect(sessions.insert).toHaveBeenCalledWith(
      expect.objectContaining({ id: view.id, environment: { TOKEN: 'abc' } }),
    );
    expect(provisioner.start).toHaveBeenCalledWith(view.id);
  });

  it('answers 503 with the reason when no agent can take the session', async () => {
    const { service, sessions, provisioner } = setup({
      // Silent for a minute: three check-ins missed.
      agents: [agentRow({ id: 'a1', last_checkin_at: new Date(t0.getTime() - 60_000) })],
    });
    const err = await rejection(service.launch(alice, { imageId: 'i1' }));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toMatch(/offline/);
    expect(sessions.insert).not.toHaveBeenCalled();
    expect(provisioner.start).not.toHaveBeenCalled();
  });

  it('refuses a zone that does not exist with a 400 naming zoneId', async () => {
    const { service, sessions } = setup();
    const err = await rejection(service.launch(alice, { imageId: 'i1', zoneId: 'z-missing' }));
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).details).toEqual({ issues: [{ field: 'zoneId' }] });
    expect(sessions.insert).not.toHaveBeenCalled();
  });
});

describe('SessionService.act', () => {
  it('pauses through pausing, asking the agent, and answers the session paused', async () => {
    const { service, client, sessions, transition } = setup({ rows: [sessionRow({ id: 's1' })] });
    sessions.findView.mockResolvedValueOnce(viewOf(sessionRow({ id: 's1', state: 'paused' })));
    const view = await service.act(alice, 's1', 'pause');
    expect(view.state).toBe('paused');
    expect(client.action).toHaveBeenCalledWith({ id: 'a1', url: 'http://a1.test:8443' }, 's1', 'pause');
    expect(transition.mock.calls).toEqual([
      ['s1', ['running'], 'pausing', null, t0],
      ['s1', ['pausing'], 'paused', null, t0, {}],
    ]);
    // The agent is asked between claiming the session and settling it.
    expect(happenedInOrder([transition, 0], [client.action, 0], [transition, 1])).toBe(true);
    expect(sessions.findView).toHaveBeenCalledWith('s1');
  });

  it("refuses pause and stop when the owner's groups do not allow them", async () => {
    const { service, client, policy, transition } = setup({
      rows: [sessionRow({ id: 's1' })],
      settings: { allow_pause: false, allow_stop: false },
    });
    expect(await rejection(service.act(alice, 's1', 'pause'))).toBeInstanceOf(ForbiddenError);
    expect(await rejection(service.act(alice, 's1', 'stop'))).toBeInstanceOf(ForbiddenError);
    expect(policy.forUser).toHaveBeenCalledWith('u1');
    expect(client.action).not.toHaveBeenCalled();
    expect(transition).not.toHaveBeenCalled();
  });

  it('allows stop when only pause is refused, and resume always (a paused session can be taken back)', async () => {
    const { service, client, sessions, transition } = setup({
      rows: [sessionRow({ id: 's1' }), sessionRow({ id: 's2', state: 'paused' })],
      settings: { allow_pause: false, allow_stop: true },
    });
    sessions.findView
      .mockResolvedValueOnce(viewOf(sessionRow({ id: 's1', state: 'stopped' })))
      .mockResolvedValueOnce(viewOf(sessionRow({ id: 's2', state: 'running' })));
    expect((await service.act(alice, 's1', 'stop')).state).toBe('stopped');
    expect((await service.act(alice, 's2', 'resume')).state).toBe('running');
    expect(client.action.mock.calls.map((c) => [c[1], c[2]])).toEqual([
      ['s1', 'stop'],
      ['s2', 'resume'],
    ]);
    expect(transition.mock.calls).toEqual([
      ['s1', ['running', 'paused'], 'stopping', null, t0],
      ['s1', ['stopping'], 'stopped', null, t0, {}],
      ['s2', ['paused', 'stopped'], 'resuming', null, t0],
      ['s2', ['resuming'], 'running', null, t0, { running_at: t0, keepalive_at: t0 }],
    ]);
  });

  it('refuses stop when the groups allow pause only', async () => {
    const { service, client, sessions, transition } = setup({
      rows: [sessionRow({ id: 's1' })],
      settings: { allow_pause: true, allow_stop: false },
    });
    sessions.findView.mockResolvedValueOnce(viewOf(sessionRow({ id: 's1', state: 'paused' })));
    expect((await service.act(alice, 's1', 'pause')).state).toBe('paused');
    expect(await rejection(service.act(alice, 's1', 'stop'))).toBeInstanceOf(ForbiddenError);
    expect(client.action).toHaveBeenCalledTimes(1);
    expect(transition.mock.calls.map((c) => c[2])).toEqual(['pausing', 'paused']);
  });

  it('lets an administrator act on anyone’s session whatever the groups say', async () => {
    const { service, policy, client, sessions } = setup({
      rows: [sessionRow({ id: 's1', user_id: 'u1' })],
      settings: { allow_pause: false },
    });
    sessions.findView.mockResolvedValueOnce(viewOf(sessionRow({ id: 's1', state: 'paused' })));
    expect((await service.act(admin, 's1', 'pause')).state).toBe('paused');
    expect(policy.forUser).not.toHaveBeenCalled();
    expect(client.action).toHaveBeenCalledWith(expect.anything(), 's1', 'pause');
  });

  it('answers 409 for an action the state does not allow, without calling the agent', async () => {
    const { service, client, transition } = setup({ rows: [sessionRow({ id: 's1', state: 'paused' })] });
    // The conditional move finds the session in none of the states a pause starts from.
    transition.mockResolvedValueOnce(undefined);
    const err = await rejection(service.act(alice, 's1', 'pause'));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe('cannot pause a session that is paused');
    expect(transition.mock.calls).toEqual([['s1', ['running'], 'pausing', null, t0]]);
    expect(client.action).not.toHaveBeenCalled();
  });

  it("rolls the state back with the agent's message and answers 503 when the agent fails", async () => {
    const { service, client, sessions, transition } = setup({ rows: [sessionRow({ id: 's1' })] });
    client.action.mockRejectedValueOnce(new Error('container is gone'));
    const err = await rejection(service.act(alice, 's1', 'stop'));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe('could not stop the session: container is gone');
    expect(transition.mock.calls).toEqual([
      ['s1', ['running', 'paused'], 'stopping', null, t0],
      ['s1', ['stopping'], 'running', 'stop failed: container is gone', t0],
    ]);
    expect(sessions.findView).not.toHaveBeenCalled();
  });

  it('counts a resume as a keepalive, and waits for the desktop after a stop', async () => {
    const { service, client, sessions, transition, clock } = setup({
      rows: [sessionRow({ id: 's1', state: 'stopped' })],
    });
    clock.advance(3_600_000);
    const now = clock.now();
    sessions.findView.mockResolvedValueOnce(
      viewOf(sessionRow({ id: 's1', state: 'running', keepalive_at: now, running_at: now })),
    );
    const view = await service.act(alice, 's1', 'resume');
    expect(view.state).toBe('running');
    expect(client.ready).toHaveBeenCalledWith(expect.objectContaining({ id: 'a1' }), 's1', 90_000);
    expect(transition.mock.calls).toEqual([
      ['s1', ['paused', 'stopped'], 'resuming', null, now],
      ['s1', ['resuming'], 'running', null, now, { running_at: now, keepalive_at: now }],
    ]);
  });

  it('does not wait for the desktop when resuming from a pause', async () => {
    const { service, client, transition } = setup({ rows: [sessionRow({ id: 's1', state: 'paused' })] });
    await service.act(alice, 's1', 'resume');
    expect(client.ready).not.toHaveBeenCalled();
    expect(transition.mock.calls.map((c) => c[2])).toEqual(['resuming', 'running']);
  });

  it('answers 503 when the session has no agent any more', async () => {
    const { service, client, transition } = setup({ rows: [sessionRow({ id: 's1', agent_id: 'gone' })] });
    expect(await rejection(service.act(alice, 's1', 'pause'))).toBeInstanceOf(UnavailableError);
    expect(client.action).not.toHaveBeenCalled();
    expect(transition).not.toHaveBeenCalled();
  });
});

/** Where `delete` may take a session from: any live state, or a delete a crash interrupted. */
const DELETABLE = [...liveSessionStates, 'deleting'];

describe('SessionService.delete', () => {
  it('destroys the container, ends the session and emits sessionEnded', async () => {
    const { service, client, events, transition } = setup({ rows: [sessionRow({ id: 's1' })] });
    await service.delete(alice, 's1');
    expect(client.destroy).toHaveBeenCalledWith({ id: 'a1', url: 'http://a1.test:8443' }, 's1');
    expect(transition.mock.calls).toEqual([
      ['s1', DELETABLE, 'deleting', 'deleted by owner', t0],
      ['s1', ['deleting'], 'deleted', 'deleted by owner', t0],
    ]);
    // Claimed, then the container removed, then ended, then announced.
    expect(happenedInOrder([transition, 0], [client.destroy, 0], [transition, 1], [events.emit, 0])).toBe(
      true,
    );
    expect(events.emit).toHaveBeenCalledWith('sessionEnded', { sessionId: 's1' });
  });

  it('logs an agent that does not confirm, and deletes anyway', async () => {
    const { service, client, events, log, transition } = setup({ rows: [sessionRow({ id: 's1' })] });
    client.destroy.mockRejectedValueOnce(new Error('agent unreachable: ECONNREFUSED'));
    await expect(service.delete('system', 's1', 'agent deleted')).resolves.toBeUndefined();
    expect(log.warn).toHaveBeenCalledWith(
      { sessionId: 's1', err: 'agent unreachable: ECONNREFUSED' },
      'agent did not confirm delete',
    );
    expect(transition.mock.calls).toEqual([
      ['s1', DELETABLE, 'deleting', 'agent deleted', t0],
      ['s1', ['deleting'], 'deleted', 'agent deleted', t0],
    ]);
    expect(events.emit).toHaveBeenCalledWith('sessionEnded', { sessionId: 's1' });
  });

  it('does nothing for a session that has already ended', async () => {
    const { service, client, transition, events } = setup({
      rows: [sessionRow({ id: 's1', state: 'deleted', ended_at: t0 })],
    });
    await service.delete(alice, 's1');
    expect(transition).not.toHaveBeenCalled();
    expect(client.destroy).not.toHaveBeenCalled();
    expect(events.emit).not.toHaveBeenCalled();
  });

  it('finishes a delete a crash interrupted', async () => {
    const { service, client, transition } = setup({ rows: [sessionRow({ id: 's1', state: 'deleting' })] });
    await service.delete('system', 's1');
    expect(DELETABLE).toContain('deleting');
    expect(transition.mock.calls).toEqual([
      ['s1', DELETABLE, 'deleting', 'deleted by owner', t0],
      ['s1', ['deleting'], 'deleted', 'deleted by owner', t0],
    ]);
    expect(client.destroy).toHaveBeenCalledTimes(1);
  });
});

describe('SessionService ownership', () => {
  it("answers 404 for another user's session, and touches nothing", async () => {
    const { service, client, transition, sessions } = setup({
      rows: [sessionRow({ id: 's1', user_id: 'u1' })],
    });
    expect(await rejection(service.get(bob, 's1'))).toBeInstanceOf(NotFoundError);
    expect(await rejection(service.act(bob, 's1', 'pause'))).toBeInstanceOf(NotFoundError);
    expect(await rejection(service.delete(bob, 's1'))).toBeInstanceOf(NotFoundError);
    expect(await rejection(service.keepalive(bob, 's1'))).toBeInstanceOf(NotFoundError);
    expect(transition).not.toHaveBeenCalled();
    expect(client.action).not.toHaveBeenCalled();
    expect(client.destroy).not.toHaveBeenCalled();
    expect(sessions.keepalive).not.toHaveBeenCalled();
    expect(sessions.findView).not.toHaveBeenCalled();
  });

  it('answers 404 for a session that does not exist', async () => {
    const { service, sessions } = setup();
    expect(await rejection(service.get(alice, 'nope'))).toBeInstanceOf(NotFoundError);
    expect(sessions.find).toHaveBeenCalledWith('nope');
  });

  it("lets an administrator read and delete anyone's session", async () => {
    const { service, events, transition } = setup({ rows: [sessionRow({ id: 's1', user_id: 'u1' })] });
    expect((await service.get(admin, 's1')).userId).toBe('u1');
    await service.delete(admin, 's1');
    expect(transition.mock.calls.map((c) => [c[0], c[2]])).toEqual([
      ['s1', 'deleting'],
      ['s1', 'deleted'],
    ]);
    expect(events.emit).toHaveBeenCalledWith('sessionEnded', { sessionId: 's1' });
  });

  it('records a keepalive for the owner, and refuses one for an ended session', async () => {
    const { service, sessions, clock } = setup({
      rows: [sessionRow({ id: 's1' }), sessionRow({ id: 's2', state: 'deleted', ended_at: t0 })],
    });
    clock.advance(5_000);
    await service.keepalive(alice, 's1');
    expect(sessions.keepalive).toHaveBeenCalledWith('s1', clock.now());
    expect(await rejection(service.keepalive(alice, 's2'))).toBeInstanceOf(ConflictError);
    expect(sessions.keepalive).toHaveBeenCalledTimes(1);
  });
});
