import type { AgentCheckinRequest, AgentRegisterRequest, PendingDisconnect } from '@porthole/contracts';
import { GrantSigner } from '@porthole/stream';
import { describe, expect, it, vi } from 'vitest';
import type { AuditContext } from '../audit/audit-context.js';
import { systemContext } from '../audit/audit-context.js';
import type { AuditChange } from '../audit/audit-repo.js';
import { ConflictError, InvalidError, NotFoundError, UnauthorizedError } from '../errors.js';
import { ManualClock } from '../platform/clock.js';
import { sha256 } from '../platform/crypto.js';
import { agentRow, DESKTOP_IMAGE } from '../testkit/rows.js';
import type { AgentAllocation, AgentRepo, AgentRow } from './agent-repo.js';
import { AgentService, type CheckinReconciler } from './agent-service.js';
import type { RegistrationTokens } from './grant-keys.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const signer = new GrantSigner(GrantSigner.generatePrivateKeyPem());
const TOKEN = 'registration-token-123';
const AGENT_ID = '11111111-1111-4111-8111-111111111111';
const SECRET = 'agent-secret';

const registration = (over: Partial<AgentRegisterRequest> = {}): AgentRegisterRequest => ({
  token: TOKEN,
  name: 'host-1',
  url: 'http://10.0.0.5:8443',
  version: '1.2.3',
  ...over,
});

const report: AgentCheckinRequest = {
  version: '1.2.4',
  resources: {
    cores: 8,
    memoryBytes: 16e9,
    memoryFreeBytes: 8e9,
    diskFreeBytes: null,
    load1: 0.5,
    dockerVersion: '27.0',
  },
  sessions: [],
  images: [{ ref: DESKTOP_IMAGE, state: 'present' }],
  appliedDisconnects: ['22222222-2222-4222-8222-222222222222'],
};

function setup(opts: { rows?: AgentRow[]; allocations?: AgentAllocation[] } = {}) {
  const clock = new ManualClock(t0);
  const rows = opts.rows ?? [agentRow({ id: AGENT_ID, name: 'host-1', secret_hash: sha256(SECRET) })];
  const zones = new Map([
    ['default', 'z1'],
    ['eu', 'z2'],
  ]);
  const agents = {
    find: vi.fn(async (id: string) => rows.find((a) => a.id === id)),
    findByName: vi.fn(async (name: string) => rows.find((a) => a.name.toLowerCase() === name.toLowerCase())),
    insert: vi.fn(async (_row: Parameters<AgentRepo['insert']>[0]) => undefined),
    reRegister: vi.fn(async (_id: string, _row: Parameters<AgentRepo['reRegister']>[1]) => undefined),
    update: vi.fn(async (id: string, _patch: Parameters<AgentRepo['update']>[1]) =>
      rows.some((a) => a.id === id),
    ),
    delete: vi.fn(async (_id: string) => undefined),
    recordCheckin: vi.fn(async (_id: string, _at: Date, _data: object) => undefined),
    desiredImageRefs: vi.fn(async (_agentId: string, _zoneId: string) => [
      DESKTOP_IMAGE,
      'porthole/chrome:1',
    ]),
    zoneExists: vi.fn(async (zoneId: string) => [...zones.values()].includes(zoneId)),
    zoneIdByName: vi.fn(async (name: string) => zones.get(name.toLowerCase())),
    defaultZoneId: vi.fn(async (): Promise<string | undefined> => 'z1'),
    allocations: vi.fn(async () => new Map((opts.allocations ?? []).map((a) => [a.agent_id, a]))),
    list: vi.fn(async () => rows),
  };
  const audit = { record: vi.fn(async (_ctx: AuditContext, _change: AuditChange) => undefined) };
  const unitOfWork = {
    transaction: vi.fn(async <T>(work: (tx: typeof agents, a: typeof audit) => Promise<T>) =>
      work(agents, audit),
    ),
  };
  const tokens = { current: vi.fn(async () => ({ token: TOKEN, rotatedAt: t0.toISOString() })) };
  const reconciler = {
    reconcile: vi.fn<CheckinReconciler['reconcile']>(async () => ({ removeSessions: [], changed: [] })),
  };
  const health = { checkedIn: vi.fn() };
  const pending: PendingDisconnect[] = [
    { id: '33333333-3333-4333-8333-333333333333', sessionId: 's1', target: { userId: 'u2' }, beforeMs: 1 },
  ];
  const pendingDisconnects = {
    exchange: vi.fn(async (_agentId: string, _applied: readonly string[]) => pending),
  };
  const events = { emit: vi.fn(async () => undefined) };
  const log = { info: vi.fn() };
  const metrics = { checkinHandled: vi.fn() };
  const service = new AgentService({
    agents: { ...agents, ...unitOfWork } as unknown as AgentRepo,
    tokens: tokens as unknown as RegistrationTokens,
    signer,
    reconciler,
    health,
    clock,
    checkinSeconds: 5,
    pendingDisconnects,
    events,
    log,
    metrics,
  });
  return {
    clock,
    rows,
    agents,
    audit,
    tokens,
    reconciler,
    health,
    pending,
    pendingDisconnects,
    events,
    log,
    metrics,
    service,
  };
}

const CTX = systemContext('test');

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('AgentService.register', () => {
  it('registers a new agent in the default zone with a fresh secret, stored only as a hash', async () => {
    const { service, agents } = setup({ rows: [] });
    const r = await service.register(registration({ hostname: 'box-1' }));
    expect(r.zoneId).toBe('z1');
    expect(r.grantPublicKey).toBe(signer.publicKeyPem);
    expect(r.secret.length).toBeGreaterThanOrEqual(40);
    expect(agents.insert).toHaveBeenCalledWith({
      id: r.agentId,
      name: 'host-1',
      zoneId: 'z1',
      url: 'http://10.0.0.5:8443',
      secretHash: sha256(r.secret),
      hostname: 'box-1',
      version: '1.2.3',
    });
    expect(agents.reRegister).not.toHaveBeenCalled();
  });

  it('refuses a wrong registration token, whatever its length', async () => {
    const { service, agents } = setup({ rows: [] });
    expect(await rejection(service.register(registration({ token: 'nope' })))).toBeInstanceOf(
      UnauthorizedError,
    );
    const sameLength = TOKEN.replace(/.$/, 'x');
    expect(await rejection(service.register(registration({ token: sameLength })))).toBeInstanceOf(
      UnauthorizedError,
    );
    expect(agents.findByName).not.toHaveBeenCalled();
    expect(agents.insert).not.toHaveBeenCalled();
  });

  it('refuses an unknown zone with a 400 naming zone', async () => {
    const { service, agents } = setup({ rows: [] });
    const err = await rejection(service.register(registration({ zone: 'mars' })));
    expect(err).toBeInstanceOf(InvalidError);
    expect(err.message).toBe('zone: no zone named mars');
    expect((err as InvalidError).details).toEqual({ issues: [{ field: 'zone' }] });
    expect(agents.insert).not.toHaveBeenCalled();
  });

  it('answers 409 when no zone is asked for and there is no default zone', async () => {
    const { service, agents } = setup({ rows: [] });
    agents.defaultZoneId.mockResolvedValueOnce(undefined);
    expect(await rejection(service.register(registration()))).toBeInstanceOf(ConflictError);
    expect(agents.insert).not.toHaveBeenCalled();
  });

  it('keeps the row of an agent registering again under its name, with a new secret', async () => {
    const existing = agentRow({ id: AGENT_ID, name: 'Host-1', zone_id: 'z2', secret_hash: sha256(SECRET) });
    const { service, agents } = setup({ rows: [existing] });
    const r = await service.register(registration({ url: 'http://10.0.0.6:8443', version: '2.0.0' }));
    expect(r.agentId).toBe(AGENT_ID);
    // No zone asked for: it stays where an admin put it.
    expect(r.zoneId).toBe('z2');
    expect(agents.reRegister).toHaveBeenCalledWith(AGENT_ID, {
      url: 'http://10.0.0.6:8443',
      secretHash: sha256(r.secret),
      hostname: null,
      version: '2.0.0',
    });
    expect(r.secret).not.toBe(SECRET);
    expect(agents.insert).not.toHaveBeenCalled();
    expect(agents.update).not.toHaveBeenCalled();
  });

  it('moves a re-registering agent to the zone it asks for', async () => {
    const existing = agentRow({ id: AGENT_ID, name: 'host-1', zone_id: 'z1' });
    const { service, agents } = setup({ rows: [existing] });
    const r = await service.register(registration({ zone: 'EU' }));
    expect(r).toMatchObject({ agentId: AGENT_ID, zoneId: 'z2' });
    expect(agents.update).toHaveBeenCalledWith(AGENT_ID, { zone_id: 'z2' });
  });
});

describe('AgentService.authenticate', () => {
  it('answers the agent for its id and secret', async () => {
    const { service, agents } = setup();
    expect((await service.authenticate(`Agent ${AGENT_ID}:${SECRET}`)).id).toBe(AGENT_ID);
    expect(agents.find).toHaveBeenCalledWith(AGENT_ID);
  });

  it('refuses a missing or malformed header without looking anything up', async () => {
    const { service, agents } = setup();
    for (const header of [
      undefined,
      '',
      `Bearer ${SECRET}`,
      `Agent not-a-uuid:${SECRET}`,
      `Agent ${AGENT_ID}:`,
    ]) {
      expect(await rejection(service.authenticate(header))).toBeInstanceOf(UnauthorizedError);
    }
    expect(agents.find).not.toHaveBeenCalled();
  });

  it('refuses a wrong secret and an unknown agent alike', async () => {
    const { service } = setup();
    const wrong = await rejection(service.authenticate(`Agent ${AGENT_ID}:wrong-secret`));
    const unknown = await rejection(service.authenticate(`Agent ${AGENT_ID.replace(/1$/, '2')}:${SECRET}`));
    expect(wrong).toBeInstanceOf(UnauthorizedError);
    expect(unknown).toBeInstanceOf(UnauthorizedError);
    expect(wrong.message).toBe(unknown.message);
  });
});

describe('AgentService.checkin', () => {
  it('records the report, reconciles, and answers images, pending disconnects and the grant key', async () => {
    const { service, agents, reconciler, health, pendingDisconnects, pending, rows, clock, log } = setup();
    const agent = rows[0] as AgentRow;
    clock.advance(5_000);
    reconciler.reconcile.mockResolvedValueOnce({
      removeSessions: ['stray-1'],
      changed: [
        { sessionId: 's1', from: 'lost', to: 'running', reason: 'container is running on the agent' },
      ],
    });
    const answer = await service.checkin(agent, report);
    expect(agents.recordCheckin).toHaveBeenCalledWith(AGENT_ID, clock.now(), {
      resources: report.resources,
      images: report.images,
      version: '1.2.4',
    });
    expect(health.checkedIn).toHaveBeenCalledWith(agent);
    expect(reconciler.reconcile).toHaveBeenCalledWith(agent, report);
    expect(agents.desiredImageRefs).toHaveBeenCalledWith(AGENT_ID, 'z1');
    expect(pendingDisconnects.exchange).toHaveBeenCalledWith(AGENT_ID, report.appliedDisconnects);
    expect(answer).toEqual({
      images: [{ ref: DESKTOP_IMAGE }, { ref: 'porthole/chrome:1' }],
      removeSessions: ['stray-1'],
      disconnects: pending,
      checkinIntervalSeconds: 5,
      grantPublicKey: signer.publicKeyPem,
    });
    expect(log.info).toHaveBeenCalledWith(
      {
        agentId: AGENT_ID,
        sessionId: 's1',
        from: 'lost',
        to: 'running',
        reason: 'container is running on the agent',
      },
      'session reconciled with agent report',
    );
  });

  it('keeps the engine health an agent reports beside its resources', async () => {
    const { service, agents, rows } = setup();
    const engine = { reachable: false, error: 'Docker at unix:///var/run/docker.sock: connect ENOENT' };
    await service.checkin(rows[0] as AgentRow, { ...report, engine });
    expect(agents.recordCheckin).toHaveBeenCalledWith(AGENT_ID, expect.any(Date), {
      resources: { ...report.resources, engine },
      images: report.images,
      version: '1.2.4',
    });
  });

  it('confirms no disconnects when the agent reports none applied', async () => {
    const { service, pendingDisconnects, rows } = setup();
    const { appliedDisconnects: _, ...older } = report;
    await service.checkin(rows[0] as AgentRow, older);
    expect(pendingDisconnects.exchange).toHaveBeenCalledWith(AGENT_ID, []);
  });
});

describe('AgentService metrics', () => {
  it('times every check-in it handles, also one that fails', async () => {
    const { service, rows, metrics, reconciler } = setup();
    const agent = rows[0] as AgentRow;
    await service.checkin(agent, report);
    reconciler.reconcile.mockRejectedValueOnce(new Error('database down'));
    await expect(service.checkin(agent, report)).rejects.toThrow('database down');
    expect(metrics.checkinHandled).toHaveBeenCalledTimes(2);
    expect(metrics.checkinHandled.mock.calls[0]?.[0]).toBeGreaterThanOrEqual(0);
  });

  it('counts agents online by the admin list’s rule: recent check-in, not marked offline', async () => {
    const { service, clock } = setup({
      rows: [
        agentRow({ id: 'recent', last_checkin_at: new Date(t0.getTime() + 50_000) }),
        agentRow({ id: 'silent' }),
        agentRow({ id: 'marked', last_checkin_at: new Date(t0.getTime() + 50_000), offline_since: t0 }),
        agentRow({ id: 'never', last_checkin_at: null }),
      ],
    });
    clock.advance(60_000);
    // Three 5-second check-ins: 10 s ago is online, 60 s ago is not.
    expect(await service.onlineCount()).toBe(1);
  });
});

describe('AgentService.update', () => {
  it('maps the patch onto the row and answers the agent', async () => {
    const { service, agents } = setup();
    const view = await service.update(
      AGENT_ID,
      {
        name: 'host-9',
        zoneId: 'z2',
        draining: true,
        coresOverride: 4,
        memoryMbOverride: null,
      },
      CTX,
    );
    expect(agents.update).toHaveBeenCalledWith(AGENT_ID, {
      name: 'host-9',
      zone_id: 'z2',
      draining: true,
      cores_override: 4,
      memory_mb_override: null,
    });
    expect(view.id).toBe(AGENT_ID);
  });

  it('records the change in the same unit of work, as agent.drain when only draining changed', async () => {
    const { service, agents, audit, rows } = setup();
    agents.update.mockImplementationOnce(async (id: string) => {
      const row = rows.find((a) => a.id === id);
      if (row) row.draining = true;
      return true;
    });
    await service.update(AGENT_ID, { draining: true }, CTX);
    expect(audit.record).toHaveBeenCalledWith(CTX, {
      action: 'agent.drain',
      resourceType: 'agent',
      resourceId: AGENT_ID,
      diff: { draining: { before: false, after: true } },
    });
  });

  it('writes nothing when the audit entry cannot be recorded', async () => {
    const { service, audit } = setup();
    audit.record.mockRejectedValueOnce(new Error('audit insert failed'));
    expect((await rejection(service.update(AGENT_ID, { enabled: false }, CTX))).message).toBe(
      'audit insert failed',
    );
  });

  it('refuses an unknown zone with a 400 naming zoneId, before writing', async () => {
    const { service, agents } = setup();
    const err = await rejection(service.update(AGENT_ID, { zoneId: 'z-missing' }, CTX));
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).details).toEqual({ issues: [{ field: 'zoneId' }] });
    expect(agents.update).not.toHaveBeenCalled();
  });

  it('answers a duplicate name (23505) with 409', async () => {
    const { service, agents } = setup();
    agents.update.mockRejectedValueOnce(Object.assign(new Error('duplicate key'), { code: '23505' }));
    const err = await rejection(service.update(AGENT_ID, { name: 'host-2' }, CTX));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe('an agent named host-2 exists');
  });

  it('passes other database errors on, and answers 404 for an unknown agent', async () => {
    const { service, agents } = setup();
    const boom = Object.assign(new Error('connection lost'), { code: '08006' });
    agents.update.mockRejectedValueOnce(boom);
    expect(await rejection(service.update(AGENT_ID, { enabled: false }, CTX))).toBe(boom);
    expect(await rejection(service.update('nope', { enabled: false }, CTX))).toBeInstanceOf(NotFoundError);
  });
});

describe('AgentService.delete', () => {
  const busy: AgentAllocation = { agent_id: AGENT_ID, cores: 4, memory_mb: 4096, sessions: 2 };

  it('refuses an agent with sessions unless forced', async () => {
    const { service, agents, events } = setup({ allocations: [busy] });
    const err = await rejection(service.delete(AGENT_ID, false, CTX));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).details).toEqual({ sessionCount: 2 });
    expect(agents.delete).not.toHaveBeenCalled();
    expect(events.emit).not.toHaveBeenCalled();
  });

  it('forced, has its sessions destroyed (agentDeleting) before the row goes', async () => {
    const { service, agents, events } = setup({ allocations: [busy] });
    await service.delete(AGENT_ID, true, CTX);
    expect(events.emit).toHaveBeenCalledWith('agentDeleting', { agentId: AGENT_ID });
    expect(agents.delete).toHaveBeenCalledWith(AGENT_ID);
    const emitted = events.emit.mock.invocationCallOrder[0] ?? Number.POSITIVE_INFINITY;
    const deleted = agents.delete.mock.invocationCallOrder[0] ?? 0;
    expect(emitted).toBeLessThan(deleted);
  });

  it('deletes an idle agent without any event, and answers 404 for an unknown one', async () => {
    const { service, agents, events } = setup();
    await service.delete(AGENT_ID, false, CTX);
    expect(agents.delete).toHaveBeenCalledWith(AGENT_ID);
    expect(events.emit).not.toHaveBeenCalled();
    expect(await rejection(service.delete('nope', true, CTX))).toBeInstanceOf(NotFoundError);
    expect(agents.delete).toHaveBeenCalledTimes(1);
  });
});
