import type { AgentCreateSession, AgentSessionState } from '@porthole/contracts';
import { describe, expect, it, vi } from 'vitest';
import { type AgentAddress, AgentCallError, type AgentClient } from '../agents/agent-client.js';
import type { AgentRepo } from '../agents/agent-repo.js';
import { ManualClock } from '../platform/clock.js';
import { agentRow, DESKTOP_IMAGE, sessionRow } from '../testkit/rows.js';
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

function setup(row: SessionRow, opts: { images?: LaunchImage[] } = {}) {
  const clock = new ManualClock(t0);
  // The repository is mocked: `find` answers the row given, every `transition` succeeds (answering
  // the row in its new state) unless a test says otherwise. Nothing moves: what a test pins is
  // the calls the provisioner makes; the queries have their own itest.
  const sessions = {
    find: vi.fn(async (_id: string): Promise<SessionRow | undefined> => ({ ...row })),
    findView: vi.fn(
      async (_id: string): Promise<SessionListRow | undefined> => ({
        ...row,
        username: 'alice',
        image_name: 'desktop',
        image_friendly_name: 'Desktop',
        agent_name: null,
      }),
    ),
    transition: vi.fn<SessionRepo['transition']>(async (_id, _from, to, reason, now, extra = {}) =>
      sessionRow({ ...row, state: to, state_reason: reason, updated_at: now, ...extra }),
    ),
    clearEnvironment: vi.fn(async (_id: string) => undefined),
  } satisfies Partial<SessionRepo>;
  const transition = sessions.transition;
  /** What a delete from another request does: from now on the row is ended and moves no more. */
  const deleteNow = () => {
    sessions.find.mockResolvedValue(
      sessionRow({ ...row, state: 'deleted', state_reason: 'deleted by owner', ended_at: clock.now() }),
    );
    transition.mockResolvedValue(undefined);
  };
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
  return { clock, sessions, transition, client, log, provisioner, deleteNow };
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

/** The move the provisioner makes when it fails a launch it claimed. */
const failed = (reason: string) => ['s1', ['provisioning', 'starting'], 'error', reason, t0];

describe('Provisioner', () => {
  it('drives a session from requested through provisioning and starting to running', async () => {
    const { provisioner, client, sessions, transition, log } = setup(
      requested({ environment: { TZ: 'Europe/Paris', TOKEN: 'abc' } }),
    );
    expect(await provisioner.provision('s1')).toBe('running');
    expect(transition.mock.calls).toEqual([
      // The lease key is stamped with the claim, so recovery can tell this process drives it.
      ['s1', ['requested'], 'provisioning', null, t0, { driver_key: 42 }],
      ['s1', ['provisioning'], 'starting', null, t0, { container_id: 'container-1' }],
      ['s1', ['starting'], 'running', null, t0, { running_at: t0 }],
    ]);
    expect(sessions.findView).toHaveBeenCalledWith('s1');
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
    // The variables are dropped once the container has them.
    expect(sessions.clearEnvironment).toHaveBeenCalledWith('s1');
    expect(sessions.clearEnvironment.mock.invocationCallOrder[0]).toBeGreaterThan(
      client.create.mock.invocationCallOrder[0] ?? Number.POSITIVE_INFINITY,
    );
    expect(client.destroy).not.toHaveBeenCalled();
    expect(log.info).toHaveBeenCalledWith(
      { sessionId: 's1', agentId: 'a1', readyMs: 1200 },
      'session running',
    );
  });

  it('starts a staged session (no owner yet) as the staging user', async () => {
    const { provisioner, client, sessions } = setup(requested({ user_id: null, staging_id: 'pool-1' }));
    expect(await provisioner.provision('s1')).toBe('running');
    expect(client.create).toHaveBeenCalledWith(
      AGENT_ADDR,
      expect.objectContaining({ ownerId: 'staging', ownerName: '' }),
    );
    expect(sessions.findView).not.toHaveBeenCalled();
  });

  it("fails the session with the agent's message and removes what it made when create fails", async () => {
    const { provisioner, client, transition, log, sessions } = setup(
      requested({ environment: { TOKEN: 'abc' } }),
    );
    client.create.mockRejectedValueOnce(new AgentCallError('image porthole/desktop:latest not found', 404));
    expect(await provisioner.provision('s1')).toBe('error');
    expect(transition.mock.calls).toEqual([
      ['s1', ['requested'], 'provisioning', null, t0, { driver_key: 42 }],
      failed('agent host-a1: image porthole/desktop:latest not found'),
    ]);
    // A failed launch keeps no secrets it was given for the container.
    expect(sessions.clearEnvironment).toHaveBeenCalledWith('s1');
    expect(client.destroy).toHaveBeenCalledWith(AGENT_ADDR, 's1');
    expect(client.ready).not.toHaveBeenCalled();
    expect(log.warn).toHaveBeenCalledWith(
      { sessionId: 's1', agentId: 'a1', err: 'image porthole/desktop:latest not found' },
      'session failed to start',
    );
  });

  it('fails the session when the desktop does not become ready', async () => {
    const { provisioner, client, transition } = setup(requested());
    client.ready.mockRejectedValueOnce(new AgentCallError('not ready after 90000 ms', 504));
    expect(await provisioner.provision('s1')).toBe('error');
    expect(transition.mock.calls.map((c) => c[2])).toEqual(['provisioning', 'starting', 'error']);
    expect(transition.mock.calls[2]).toEqual(failed('agent host-a1: not ready after 90000 ms'));
    expect(client.destroy).toHaveBeenCalledWith(AGENT_ADDR, 's1');
  });

  it('removes the container of a session deleted while it was being created', async () => {
    const { provisioner, client, transition, deleteNow } = setup(requested());
    client.create.mockImplementationOnce(async (_agent, body) => {
      deleteNow();
      return { sessionId: body.sessionId, containerId: 'container-1', state: 'running', hostPort: 1 };
    });
    expect(await provisioner.provision('s1')).toBe('deleted');
    expect(client.ready).not.toHaveBeenCalled();
    expect(client.destroy).toHaveBeenCalledWith(AGENT_ADDR, 's1');
    // The move to starting found the session ended; nothing overwrites the delete.
    expect(transition.mock.calls.map((c) => c[2])).toEqual(['provisioning', 'starting']);
  });

  it('removes the container of a session deleted while it was starting', async () => {
    const { provisioner, client, transition, deleteNow } = setup(requested());
    client.ready.mockImplementationOnce(async () => {
      deleteNow();
      return { readyMs: 5 };
    });
    expect(await provisioner.provision('s1')).toBe('deleted');
    expect(client.destroy).toHaveBeenCalledWith(AGENT_ADDR, 's1');
    expect(transition.mock.calls.map((c) => c[2])).toEqual(['provisioning', 'starting', 'running']);
  });

  it('leaves a session alone that is not in a state it starts from', async () => {
    const { provisioner, client, transition, sessions } = setup(requested({ state: 'running' }));
    // The conditional claim finds the session in none of the states it starts from.
    transition.mockResolvedValueOnce(undefined);
    expect(await provisioner.provision('s1')).toBe('running');
    expect(client.create).not.toHaveBeenCalled();
    expect(transition.mock.calls).toEqual([
      ['s1', ['requested'], 'provisioning', null, t0, { driver_key: 42 }],
    ]);
    expect(sessions.find).toHaveBeenCalledWith('s1');
  });

  it('fails a session whose workspace was removed before it started, without calling the agent', async () => {
    const { provisioner, client, transition } = setup(requested(), { images: [] });
    expect(await provisioner.provision('s1')).toBe('error');
    expect(transition.mock.calls).toEqual([
      ['s1', ['requested'], 'provisioning', null, t0, { driver_key: 42 }],
      failed('the agent or workspace was removed before the session started'),
    ]);
    expect(client.create).not.toHaveBeenCalled();
  });

  it('drives a session once when asked twice at once', async () => {
    const { provisioner, client, transition } = setup(requested());
    const [a, b] = await Promise.all([provisioner.provision('s1'), provisioner.provision('s1')]);
    expect([a, b]).toEqual(['running', 'provisioning']);
    expect(client.create).toHaveBeenCalledTimes(1);
    expect(transition).toHaveBeenCalledTimes(3);
    expect(provisioner.isDriving('s1')).toBe(false);
  });
});
