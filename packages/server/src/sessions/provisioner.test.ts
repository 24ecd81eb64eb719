import type { AgentCreateSession, AgentSessionState } from '@porthole/contracts';
import { describe, expect, it, vi } from 'vitest';
import { type AgentAddress, AgentCallError, type AgentClient } from '../agents/agent-client.js';
import type { AgentRepo } from '../agents/agent-repo.js';
import { ManualClock } from '../platform/clock.js';
import { agentRow, DESKTOP_IMAGE } from '../testing/agent-rows.js';
import { InMemorySessions, sessionRow } from '../testing/in-memory-sessions.js';
import type { LaunchImage, LaunchRepo } from './launch-repo.js';
import { Provisioner } from './provisioner.js';
import type { SessionListRow, SessionRepo, SessionRow } from './session-repo.js';

const t0 = new Date('2026-01-01T00:00:00Z');

const desktop: LaunchImage = {
  id: 'i1',
  name: 'desktop',
  docker_image: DESKTOP_IMAGE,
  cores: 2,
  memory_mb: 2048,
  shm_mb: 256,
  network: 'porthole-net',
  zone_id: null,
  agent_id: null,
  enabled: true,
  run_config: { environment: { LANG: 'en_US.UTF-8', TZ: 'UTC' } },
};

/** Reads answer copies, as a database does. */
class FakeSessions extends InMemorySessions {
  readonly clearEnvironment = vi.fn(async (id: string) => {
    const row = this.rows.find((r) => r.id === id);
    if (row) row.environment = null;
  });
  override async find(id: string) {
    const row = await super.find(id);
    return row ? { ...row } : undefined;
  }
  override async transition(...args: Parameters<InMemorySessions['transition']>) {
    const row = await super.transition(...args);
    return row ? { ...row } : undefined;
  }
  async findView(id: string): Promise<SessionListRow | undefined> {
    const row = await this.find(id);
    return row
      ? { ...row, username: 'alice', image_name: 'desktop', image_friendly_name: 'Desktop', agent_name: null }
      : undefined;
  }
  /** What a delete from another request does to the row. */
  deleteNow(id: string, now: Date) {
    const row = this.rows.find((r) => r.id === id);
    if (row) Object.assign(row, { state: 'deleted', state_reason: 'deleted by owner', ended_at: now });
  }
}

function setup(row: SessionRow, opts: { images?: LaunchImage[] } = {}) {
  const clock = new ManualClock(t0);
  const sessions = new FakeSessions([row]);
  const transition = vi.spyOn(sessions, 'transition');
  const agentRows = [agentRow({ id: 'a1' })];
  const agents = { find: vi.fn(async (id: string) => agentRows.find((a) => a.id === id)) };
  const images = new Map((opts.images ?? [desktop]).map((i) => [i.id, i]));
  const launch = { image: vi.fn(async (id: string) => images.get(id)) };
  const client = {
    create: vi.fn(
      async (_agent: AgentAddress, body: AgentCreateSession): Promise<AgentSessionState> => ({
        sessionId: body.sessionId,
        containerId: 'container-1',
        state: 'running',
        hostPort: 32768,
      }),
    ),
    ready: vi.fn(async (_agent: AgentAddress, _sessionId: string, _timeoutMs: number) => ({ readyMs: 1200 })),
    action: vi.fn(),
    destroy: vi.fn(async (_agent: AgentAddress, _sessionId: string) => undefined),
    exec: vi.fn(),
    disconnect: vi.fn(),
  };
  const log = { info: vi.fn(), warn: vi.fn() };
  const provisioner = new Provisioner({
    sessions: sessions as unknown as SessionRepo,
    agents: agents as unknown as AgentRepo,
    launch: launch as unknown as LaunchRepo,
    client: client as unknown as AgentClient,
    clock,
    log,
    driverKey: () => 42,
  });
  const state = () => sessions.rows[0];
  return { clock, sessions, transition, client, log, provisioner, state };
}

const AGENT_ADDR = { id: 'a1', url: 'http://a1.test:8443' };
const requested = (over: Partial<SessionRow> = {}) =>
  sessionRow({
    id: 's1',
    state: 'requested',
    cores: 2,
    memory_mb: 2048,
    container_id: null,
    running_at: null,
    url: 'https://example.org',
    ...over,
  });

describe('Provisioner', () => {
  it('drives a session from requested through provisioning and starting to running', async () => {
    const { provisioner, client, sessions, transition, state, log } = setup(
      requested({ environment: { TZ: 'Europe/Paris', TOKEN: 'abc' } }),
    );
    expect(await provisioner.provision('s1')).toBe('running');
    expect(transition.mock.calls.map((c) => [c[1], c[2]])).toEqual([
      [['requested'], 'provisioning'],
      [['provisioning'], 'starting'],
      [['starting'], 'running'],
    ]);
    // The lease key is stamped with the claim, so recovery can tell this process drives it.
    expect(transition.mock.calls[0]?.[5]).toEqual({ driver_key: 42 });
    expect(client.create).toHaveBeenCalledWith(AGENT_ADDR, {
      sessionId: 's1',
      ownerId: 'u1',
      ownerName: 'alice',
      image: { ref: DESKTOP_IMAGE, name: 'desktop' },
      cores: 2,
      memoryBytes: 2048 * 1024 * 1024,
      shmBytes: 256 * 1024 * 1024,
      network: 'porthole-net',
      url: 'https://example.org',
      // The session's own variables win over the image's.
      environment: { LANG: 'en_US.UTF-8', TZ: 'Europe/Paris', TOKEN: 'abc' },
    });
    expect(client.ready).toHaveBeenCalledWith(AGENT_ADDR, 's1', 90_000);
    expect(sessions.clearEnvironment).toHaveBeenCalledWith('s1');
    expect(state()).toMatchObject({
      state: 'running',
      container_id: 'container-1',
      running_at: t0,
      environment: null,
      driver_key: 42,
    });
    expect(client.destroy).not.toHaveBeenCalled();
    expect(log.info).toHaveBeenCalledWith(
      { sessionId: 's1', agentId: 'a1', readyMs: 1200 },
      'session running',
    );
  });

  it('starts a staged session (no owner yet) as the staging user', async () => {
    const { provisioner, client } = setup(requested({ user_id: null, staging_id: 'pool-1' }));
    expect(await provisioner.provision('s1')).toBe('running');
    expect(client.create).toHaveBeenCalledWith(
      AGENT_ADDR,
      expect.objectContaining({ ownerId: 'staging', ownerName: '' }),
    );
  });

  it("fails the session with the agent's message and removes what it made when create fails", async () => {
    const { provisioner, client, state, log, sessions } = setup(requested({ environment: { TOKEN: 'abc' } }));
    client.create.mockRejectedValueOnce(new AgentCallError('image porthole/desktop:latest not found', 404));
    expect(await provisioner.provision('s1')).toBe('error');
    expect(state()).toMatchObject({
      state: 'error',
      state_reason: 'agent host-a1: image porthole/desktop:latest not found',
      ended_at: t0,
      // A failed launch keeps no secrets it was given for the container.
      environment: null,
    });
    expect(sessions.clearEnvironment).toHaveBeenCalledWith('s1');
    expect(client.destroy).toHaveBeenCalledWith(AGENT_ADDR, 's1');
    expect(client.ready).not.toHaveBeenCalled();
    expect(log.warn).toHaveBeenCalledWith(
      { sessionId: 's1', agentId: 'a1', err: 'image porthole/desktop:latest not found' },
      'session failed to start',
    );
  });

  it('fails the session when the desktop does not become ready', async () => {
    const { provisioner, client, state } = setup(requested());
    client.ready.mockRejectedValueOnce(new AgentCallError('not ready after 90000 ms', 504));
    expect(await provisioner.provision('s1')).toBe('error');
    expect(state()).toMatchObject({
      state: 'error',
      state_reason: 'agent host-a1: not ready after 90000 ms',
    });
    expect(client.destroy).toHaveBeenCalledWith(AGENT_ADDR, 's1');
  });

  it('removes the container of a session deleted while it was being created', async () => {
    const { provisioner, client, sessions, clock, state } = setup(requested());
    client.create.mockImplementationOnce(async (_agent, body) => {
      sessions.deleteNow('s1', clock.now());
      return { sessionId: body.sessionId, containerId: 'container-1', state: 'running', hostPort: 1 };
    });
    expect(await provisioner.provision('s1')).toBe('deleted');
    expect(client.ready).not.toHaveBeenCalled();
    expect(client.destroy).toHaveBeenCalledWith(AGENT_ADDR, 's1');
    expect(state()).toMatchObject({ state: 'deleted', state_reason: 'deleted by owner' });
  });

  it('removes the container of a session deleted while it was starting', async () => {
    const { provisioner, client, sessions, clock, state } = setup(requested());
    client.ready.mockImplementationOnce(async () => {
      sessions.deleteNow('s1', clock.now());
      return { readyMs: 5 };
    });
    expect(await provisioner.provision('s1')).toBe('deleted');
    expect(client.destroy).toHaveBeenCalledWith(AGENT_ADDR, 's1');
    expect(state()?.state).toBe('deleted');
  });

  it('leaves a session alone that is not in a state it starts from', async () => {
    const { provisioner, client, state } = setup(requested({ state: 'running' }));
    expect(await provisioner.provision('s1')).toBe('running');
    expect(client.create).not.toHaveBeenCalled();
    expect(state()?.state).toBe('running');
  });

  it('fails a session whose workspace was removed before it started, without calling the agent', async () => {
    const { provisioner, client, state } = setup(requested(), { images: [] });
    expect(await provisioner.provision('s1')).toBe('error');
    expect(state()).toMatchObject({
      state: 'error',
      state_reason: 'the agent or workspace was removed before the session started',
    });
    expect(client.create).not.toHaveBeenCalled();
  });

  it('drives a session once when asked twice at once', async () => {
    const { provisioner, client } = setup(requested());
    const [a, b] = await Promise.all([provisioner.provision('s1'), provisioner.provision('s1')]);
    expect([a, b]).toEqual(['running', 'provisioning']);
    expect(client.create).toHaveBeenCalledTimes(1);
    expect(provisioner.isDriving('s1')).toBe(false);
  });
});
