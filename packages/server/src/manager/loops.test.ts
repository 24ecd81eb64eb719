import type { SessionState } from '@porthole/contracts';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import type { SessionRepo, SessionRow } from '../sessions/session-repo.js';
import { sessionRow as row } from '../testkit/rows.js';
import { ExpiryLoop, Manager, RecoveryLoop } from './loops.js';

const log = { info: () => undefined, warn: () => undefined };
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('ExpiryLoop', () => {
  function setup(found: { pastTimeLimit?: SessionRow[]; expiredKeepalive?: SessionRow[] } = {}) {
    const clock = new ManualClock(t0);
    const sessions = {
      pastTimeLimit: vi.fn<SessionRepo['pastTimeLimit']>(async () => found.pastTimeLimit ?? []),
      expiredKeepalive: vi.fn<SessionRepo['expiredKeepalive']>(async () => found.expiredKeepalive ?? []),
    };
    const service = { delete: vi.fn(async () => undefined), act: vi.fn(async () => ({}) as never) };
    const warn = vi.fn();
    const loop = new ExpiryLoop({ sessions, service, clock, log: { ...log, warn } });
    return { clock, loop, sessions, service, warn };
  }

  it('asks the repository with the clock’s time and does nothing when nothing expired', async () => {
    const { clock, loop, sessions, service } = setup();
    clock.advance(59_000);
    expect(await loop.tick()).toBe(0);
    expect(sessions.pastTimeLimit).toHaveBeenCalledWith(at(59_000));
    expect(sessions.expiredKeepalive).toHaveBeenCalledWith(at(59_000));
    expect(service.delete).not.toHaveBeenCalled();
    expect(service.act).not.toHaveBeenCalled();
  });

  it('applies each owner’s action to the sessions whose keepalive expired, and only to those', async () => {
    const { clock, loop, service } = setup({
      expiredKeepalive: [
        row({ id: 'del', keepalive_action: 'delete' }),
        row({ id: 'pause', keepalive_action: 'pause' }),
        row({ id: 'stop', keepalive_action: 'stop' }),
      ],
    });
    clock.advance(61_000);
    expect(await loop.tick()).toBe(3);
    expect(service.delete.mock.calls).toEqual([['system', 'del', 'keepalive expired']]);
    expect(service.act.mock.calls).toEqual([
      ['system', 'pause', 'pause', 'keepalive expired'],
      ['system', 'stop', 'stop', 'keepalive expired'],
    ]);
  });

  it('deletes sessions past their time limit', async () => {
    const { clock, loop, service } = setup({
      pastTimeLimit: [row({ id: 'limited', keepalive_action: 'pause', expires_at: at(120_000) })],
    });
    clock.advance(121_000);
    expect(await loop.tick()).toBe(1);
    // The time limit deletes, whatever the owner chose for the keepalive.
    expect(service.delete.mock.calls).toEqual([['system', 'limited', 'session time limit reached']]);
    expect(service.act).not.toHaveBeenCalled();
  });

  it('goes on with the other sessions when one action fails', async () => {
    const { loop, service, warn } = setup({
      pastTimeLimit: [row({ id: 'limited' })],
      expiredKeepalive: [row({ id: 'a' }), row({ id: 'b' })],
    });
    service.delete.mockRejectedValueOnce(new Error('agent down'));
    expect(await loop.tick()).toBe(3);
    expect(service.delete.mock.calls).toEqual([
      ['system', 'limited', 'session time limit reached'],
      ['system', 'a', 'keepalive expired'],
      ['system', 'b', 'keepalive expired'],
    ]);
    expect(warn).toHaveBeenCalledWith(
      { sessionId: 'limited', err: 'Error: agent down' },
      'expiry delete failed',
    );
  });
});

describe('RecoveryLoop', () => {
  /** `stale` answers per list of states, as the repository would for each of the loop's queries. */
  function setup(found: {
    stale?: Partial<Record<string, SessionRow[]>>;
    orphaned?: SessionRow[];
    driving?: string[];
  }) {
    const clock = new ManualClock(t0);
    const sessions = {
      stale: vi.fn<SessionRepo['stale']>(
        async (states: readonly SessionState[]) => found.stale?.[states.join()] ?? [],
      ),
      orphanedLaunches: vi.fn<SessionRepo['orphanedLaunches']>(async () => found.orphaned ?? []),
    };
    const provisioner = {
      isDriving: (id: string) => (found.driving ?? []).includes(id),
      start: vi.fn(),
    };
    const service = { delete: vi.fn(async () => undefined) };
    const loop = new RecoveryLoop({ sessions, provisioner, service, clock, log });
    return { clock, loop, sessions, provisioner, service };
  }

  it('asks for launches stale past each threshold, by the clock', async () => {
    const { clock, loop, sessions } = setup({});
    clock.advance(200_000);
    expect(await loop.tick()).toBe(0);
    expect(sessions.stale.mock.calls).toEqual([
      [['requested'], at(200_000 - 10_000)],
      [['provisioning', 'starting'], at(200_000 - 120_000)],
      [['deleting'], at(200_000 - 30_000)],
    ]);
    expect(sessions.orphanedLaunches).toHaveBeenCalledWith(['provisioning', 'starting']);
  });

  it('re-drives launches left half-way once they are stale, unless this process drives them', async () => {
    const { clock, loop, provisioner } = setup({
      stale: {
        requested: [row({ id: 'req', state: 'requested' })],
        'provisioning,starting': [
          row({ id: 'prov', state: 'provisioning' }),
          row({ id: 'mine', state: 'starting' }),
        ],
      },
      driving: ['mine'],
    });
    clock.advance(131_000);
    expect(await loop.tick()).toBe(2);
    expect(provisioner.start.mock.calls).toEqual([
      ['req', ['requested', 'provisioning', 'starting']],
      ['prov', ['requested', 'provisioning', 'starting']],
    ]);
  });

  it('re-drives at once a launch whose driver is gone, once even when it is also stale', async () => {
    const orphan = row({ id: 'orphan', state: 'starting', driver_key: 7 });
    const { clock, loop, provisioner } = setup({
      orphaned: [orphan],
      stale: { 'provisioning,starting': [orphan] },
    });
    clock.advance(1_000);
    expect(await loop.tick()).toBe(1);
    expect(provisioner.start.mock.calls).toEqual([['orphan', ['requested', 'provisioning', 'starting']]]);
  });

  it('finishes deletes left half-way, with their reason', async () => {
    const { loop, service, provisioner } = setup({
      stale: {
        deleting: [
          row({ id: 'd1', state: 'deleting', state_reason: 'keepalive expired' }),
          row({ id: 'd2', state: 'deleting', state_reason: null }),
        ],
      },
    });
    expect(await loop.tick()).toBe(2);
    expect(service.delete.mock.calls).toEqual([
      ['system', 'd1', 'keepalive expired'],
      ['system', 'd2', 'deleted'],
    ]);
    expect(provisioner.start).not.toHaveBeenCalled();
  });
});

describe('Manager', () => {
  it('keeps one loop from running twice at once and survives a failing loop', async () => {
    let release: () => void = () => undefined;
    let runs = 0;
    const slow = {
      name: 'slow',
      tick: () =>
        new Promise<number>((r) => {
          runs += 1;
          release = () => r(0);
        }),
    };
    const failing = { name: 'failing', tick: async () => Promise.reject(new Error('boom')) };
    const warn = vi.fn();
    const m = new Manager([], { info: () => undefined, warn });
    const first = m.runOnce(slow);
    await m.runOnce(slow);
    expect(runs).toBe(1);
    release();
    await first;
    await m.runOnce(failing);
    expect(warn).toHaveBeenCalledWith({ loop: 'failing', err: 'boom' }, 'manager loop failed');
  });
});
