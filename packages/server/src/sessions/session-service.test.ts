import { defaultSettings, type EffectiveSettings } from '@porthole/contracts';
import { describe, expect, it, vi } from 'vitest';
import type { AgentClient } from '../agents/agent-client.js';
import type { AgentRepo } from '../agents/agent-repo.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, UnavailableError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import { ManualClock } from '../platform/clock.js';
import { agentRow, DESKTOP_IMAGE } from '../testing/agent-rows.js';
import { InMemorySessions, sessionRow } from '../testing/in-memory-sessions.js';
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

/**
 * The session repository over an array: what the service reads back is what it wrote. Reads
 * answer copies, as a database does, so a row the service holds does not change under it.
 */
class FakeSessions extends InMemorySessions {
  override async find(id: string) {
    const row = await super.find(id);
    return row ? { ...row } : undefined;
  }
  override async transition(...args: Parameters<InMemorySessions['transition']>) {
    const row = await super.transition(...args);
    return row ? { ...row } : undefined;
  }
  readonly insert = vi.fn(async (r: InsertRow) => {
    this.rows.push(
      sessionRow({
        id: r.id,
        user_id: r.userId,
        image_id: r.imageId,
        agent_id: r.agentId,
        zone_id: r.zoneId,
        staging_id: r.stagingId,
        state: 'requested',
        cores: r.cores,
        memory_mb: r.memoryMb,
        url: r.url,
        environment: r.environment ?? null,
        keepalive_seconds: r.keepaliveSeconds,
        keepalive_action: r.keepaliveAction,
        expires_at: r.expiresAt,
        created_at: r.now,
        updated_at: r.now,
        keepalive_at: r.now,
        running_at: null,
        container_id: null,
      }),
    );
  });
  readonly countLiveForUser = vi.fn(
    async (userId: string) => this.rows.filter((r) => r.user_id === userId && !r.ended_at).length,
  );
  readonly keepalive = vi.fn(async (id: string, now: Date) => {
    const row = this.rows.find((r) => r.id === id);
    if (row) row.keepalive_at = now;
  });
  async findView(id: string): Promise<SessionListRow | undefined> {
    const row = await this.find(id);
    return row
      ? {
          ...row,
          username: row.user_id,
          image_name: 'desktop',
          image_friendly_name: 'Desktop',
          agent_name: null,
        }
      : undefined;
  }
}

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
  const sessions = new FakeSessions(opts.rows ?? []);
  const transition = vi.spyOn(sessions, 'transition');
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
    assignStaged: vi.fn(async (id: string, a: { userId: string }, _now: Date) => {
      const row = sessions.rows.find((r) => r.id === id);
      if (row) row.user_id = a.userId;
    }),
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
    const { service, sessions, provisioner } = setup({
      settings: { max_sessions_per_user: 1 },
      rows: [sessionRow({ id: 'held', user_id: 'u1' })],
    });
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
    const view = await service.launch(alice, { imageId: 'i1', zoneId: 'z1' });
    expect(view).toMatchObject({ id: 'st1', userId: 'u1', state: 'running' });
    expect(txLaunch.claimStaged).toHaveBeenCalledWith('i1', 'z1');
    expect(txLaunch.assignStaged).toHaveBeenCalledWith(
      'st1',
      { userId: 'u1', keepaliveSeconds: 900, keepaliveAction: 'delete', expiresAt: null, url: null },
      t0,
    );
    expect(sessions.insert).not.toHaveBeenCalled();
    expect(provisioner.start).not.toHaveBeenCalled();
  });

  it('never hands out a staged session when the launch brings its own environment', async () => {
    const staged = sessionRow({ id: 'st1', user_id: null, staging_id: 'pool-1', state: 'running' });
    const { service, sessions, txLaunch, provisioner } = setup({ rows: [staged], staged });
    const view = await service.launch(alice, { imageId: 'i1', environment: { TOKEN: 'abc' } });
    expect(view.id).not.toBe('st1');
    expect(txLaunch.claimStaged).not.toHaveBeenCalled();
    expect(txLaunch.assignStaged).not.toHaveBeenCalled();
    expect(sessions.insert).toHaveBeenCalledWith(expect.objectContaining({ environment: { TOKEN: 'abc' } }));
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
    const { service, client, transition } = setup({ rows: [sessionRow({ id: 's1' })] });
    const view = await service.act(alice, 's1', 'pause');
    expect(view.state).toBe('paused');
    expect(client.action).toHaveBeenCalledWith({ id: 'a1', url: 'http://a1.test:8443' }, 's1', 'pause');
    expect(transition.mock.calls.map((c) => [c[1], c[2]])).toEqual([
      [['running'], 'pausing'],
      [['pausing'], 'paused'],
    ]);
  });

  it("refuses pause and stop when the owner's groups do not allow them", async () => {
    const { service, client, policy, sessions } = setup({
      rows: [sessionRow({ id: 's1' })],
      settings: { allow_pause: false, allow_stop: false },
    });
    expect(await rejection(service.act(alice, 's1', 'pause'))).toBeInstanceOf(ForbiddenError);
    expect(await rejection(service.act(alice, 's1', 'stop'))).toBeInstanceOf(ForbiddenError);
    expect(policy.forUser).toHaveBeenCalledWith('u1');
    expect(client.action).not.toHaveBeenCalled();
    expect(sessions.rows[0]?.state).toBe('running');
  });

  it('allows stop when only pause is refused, and resume always (a paused session can be taken back)', async () => {
    const { service, client } = setup({
      rows: [sessionRow({ id: 's1' }), sessionRow({ id: 's2', state: 'paused' })],
      settings: { allow_pause: false, allow_stop: true },
    });
    expect((await service.act(alice, 's1', 'stop')).state).toBe('stopped');
    expect((await service.act(alice, 's2', 'resume')).state).toBe('running');
    expect(client.action.mock.calls.map((c) => [c[1], c[2]])).toEqual([
      ['s1', 'stop'],
      ['s2', 'resume'],
    ]);
  });

  it('refuses stop when the groups allow pause only', async () => {
    const { service, client } = setup({
      rows: [sessionRow({ id: 's1' })],
      settings: { allow_pause: true, allow_stop: false },
    });
    expect((await service.act(alice, 's1', 'pause')).state).toBe('paused');
    expect(await rejection(service.act(alice, 's1', 'stop'))).toBeInstanceOf(ForbiddenError);
    expect(client.action).toHaveBeenCalledTimes(1);
  });

  it('lets an administrator act on anyone’s session whatever the groups say', async () => {
    const { service, policy, client } = setup({
      rows: [sessionRow({ id: 's1', user_id: 'u1' })],
      settings: { allow_pause: false },
    });
    expect((await service.act(admin, 's1', 'pause')).state).toBe('paused');
    expect(policy.forUser).not.toHaveBeenCalled();
    expect(client.action).toHaveBeenCalledWith(expect.anything(), 's1', 'pause');
  });

  it('answers 409 for an action the state does not allow, without calling the agent', async () => {
    const { service, client } = setup({ rows: [sessionRow({ id: 's1', state: 'paused' })] });
    const err = await rejection(service.act(alice, 's1', 'pause'));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe('cannot pause a session that is paused');
    expect(client.action).not.toHaveBeenCalled();
  });

  it("rolls the state back with the agent's message and answers 503 when the agent fails", async () => {
    const { service, client, sessions, transition } = setup({ rows: [sessionRow({ id: 's1' })] });
    client.action.mockRejectedValueOnce(new Error('container is gone'));
    const err = await rejection(service.act(alice, 's1', 'stop'));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe('could not stop the session: container is gone');
    expect(sessions.rows[0]).toMatchObject({
      state: 'running',
      state_reason: 'stop failed: container is gone',
    });
    expect(transition.mock.calls.map((c) => [c[1], c[2]])).toEqual([
      [['running', 'paused'], 'stopping'],
      [['stopping'], 'running'],
    ]);
  });

  it('counts a resume as a keepalive, and waits for the desktop after a stop', async () => {
    const { service, client, sessions, clock } = setup({
      rows: [sessionRow({ id: 's1', state: 'stopped' })],
    });
    clock.advance(3_600_000);
    const view = await service.act(alice, 's1', 'resume');
    expect(view.state).toBe('running');
    expect(client.ready).toHaveBeenCalledWith(expect.objectContaining({ id: 'a1' }), 's1', 90_000);
    expect(sessions.rows[0]?.keepalive_at).toEqual(clock.now());
    expect(sessions.rows[0]?.running_at).toEqual(clock.now());
  });

  it('does not wait for the desktop when resuming from a pause', async () => {
    const { service, client } = setup({ rows: [sessionRow({ id: 's1', state: 'paused' })] });
    await service.act(alice, 's1', 'resume');
    expect(client.ready).not.toHaveBeenCalled();
  });

  it('answers 503 when the session has no agent any more', async () => {
    const { service, client, sessions } = setup({ rows: [sessionRow({ id: 's1', agent_id: 'gone' })] });
    expect(await rejection(service.act(alice, 's1', 'pause'))).toBeInstanceOf(UnavailableError);
    expect(client.action).not.toHaveBeenCalled();
    expect(sessions.rows[0]?.state).toBe('running');
  });
});

describe('SessionService.delete', () => {
  it('destroys the container, ends the session and emits sessionEnded', async () => {
    const { service, client, sessions, events, transition } = setup({ rows: [sessionRow({ id: 's1' })] });
    await service.delete(alice, 's1');
    expect(client.destroy).toHaveBeenCalledWith({ id: 'a1', url: 'http://a1.test:8443' }, 's1');
    expect(sessions.rows[0]).toMatchObject({
      state: 'deleted',
      state_reason: 'deleted by owner',
      ended_at: t0,
    });
    expect(transition.mock.calls.map((c) => c[2])).toEqual(['deleting', 'deleted']);
    expect(events.emit).toHaveBeenCalledWith('sessionEnded', { sessionId: 's1' });
  });

  it('logs an agent that does not confirm, and deletes anyway', async () => {
    const { service, client, sessions, events, log } = setup({ rows: [sessionRow({ id: 's1' })] });
    client.destroy.mockRejectedValueOnce(new Error('agent unreachable: ECONNREFUSED'));
    await expect(service.delete('system', 's1', 'agent deleted')).resolves.toBeUndefined();
    expect(log.warn).toHaveBeenCalledWith(
      { sessionId: 's1', err: 'agent unreachable: ECONNREFUSED' },
      'agent did not confirm delete',
    );
    expect(sessions.rows[0]).toMatchObject({ state: 'deleted', state_reason: 'agent deleted' });
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
    const { service, client, sessions } = setup({ rows: [sessionRow({ id: 's1', state: 'deleting' })] });
    await service.delete('system', 's1');
    expect(client.destroy).toHaveBeenCalledTimes(1);
    expect(sessions.rows[0]?.state).toBe('deleted');
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
  });

  it('answers 404 for a session that does not exist', async () => {
    const { service } = setup();
    expect(await rejection(service.get(alice, 'nope'))).toBeInstanceOf(NotFoundError);
  });

  it("lets an administrator read and delete anyone's session", async () => {
    const { service, sessions, events } = setup({ rows: [sessionRow({ id: 's1', user_id: 'u1' })] });
    expect((await service.get(admin, 's1')).userId).toBe('u1');
    await service.delete(admin, 's1');
    expect(sessions.rows[0]?.state).toBe('deleted');
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
