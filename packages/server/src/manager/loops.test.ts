import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { InMemorySessions, sessionRow } from '../testing/in-memory-sessions.js';
import { ExpiryLoop, Manager, RecoveryLoop } from './loops.js';

const log = { info: () => undefined, warn: () => undefined };
const t0 = new Date('2026-01-01T00:00:00Z');

describe('ExpiryLoop', () => {
  function setup() {
    const clock = new ManualClock(t0);
    const sessions = new InMemorySessions([
      sessionRow({ id: 'del', keepalive_seconds: 60, keepalive_action: 'delete' }),
      sessionRow({ id: 'pause', keepalive_seconds: 60, keepalive_action: 'pause' }),
      sessionRow({ id: 'long', keepalive_seconds: 3600 }),
      sessionRow({ id: 'staged', user_id: null, keepalive_seconds: 60 }),
      sessionRow({ id: 'limited', keepalive_seconds: 3600, expires_at: new Date(t0.getTime() + 120_000) }),
    ]);
    const service = { delete: vi.fn(async () => undefined), act: vi.fn(async () => ({}) as never) };
    return { clock, loop: new ExpiryLoop({ sessions, service, clock, log }), service };
  }

  it('does nothing before the keepalive runs out', async () => {
    const { clock, loop, service } = setup();
    clock.advance(59_000);
    expect(await loop.tick()).toBe(0);
    expect(service.delete).not.toHaveBeenCalled();
  });

  it('applies each owner’s action once the keepalive expired, never to staged sessions', async () => {
    const { clock, loop, service } = setup();
    clock.advance(61_000);
    expect(await loop.tick()).toBe(2);
    expect(service.delete).toHaveBeenCalledWith('system', 'del', 'keepalive expired');
    expect(service.act).toHaveBeenCalledWith('system', 'pause', 'pause', 'keepalive expired');
  });

  it('deletes sessions past their time limit', async () => {
    const { clock, loop, service } = setup();
    clock.advance(121_000);
    await loop.tick();
    expect(service.delete).toHaveBeenCalledWith('system', 'limited', 'session time limit reached');
  });
});

describe('RecoveryLoop', () => {
  it('re-drives launches left half-way once they are stale, unless this process drives them', async () => {
    const clock = new ManualClock(t0);
    const sessions = new InMemorySessions([
      sessionRow({ id: 'req', state: 'requested' }),
      sessionRow({ id: 'prov', state: 'provisioning' }),
      sessionRow({ id: 'mine', state: 'starting' }),
      sessionRow({ id: 'ok', state: 'running' }),
    ]);
    const provisioner = { isDriving: (id: string) => id === 'mine', start: vi.fn() };
    const service = { delete: vi.fn(async () => undefined) };
    const loop = new RecoveryLoop({ sessions, provisioner, service, clock, log });
    clock.advance(11_000);
    expect(await loop.tick()).toBe(1);
    expect(provisioner.start).toHaveBeenCalledWith('req', ['requested', 'provisioning', 'starting']);
    clock.advance(120_000);
    await loop.tick();
    expect(provisioner.start).toHaveBeenCalledWith('prov', expect.anything());
    expect(provisioner.start).not.toHaveBeenCalledWith('mine', expect.anything());
  });

  it('re-drives at once a launch whose driver is gone, and leaves a live driver alone', async () => {
    const clock = new ManualClock(t0);
    const sessions = new InMemorySessions([
      sessionRow({ id: 'orphan', state: 'starting', driver_key: 7 }),
      sessionRow({ id: 'driven', state: 'provisioning', driver_key: 8 }),
    ]);
    sessions.deadDrivers.add(7);
    const provisioner = { isDriving: () => false, start: vi.fn() };
    const service = { delete: vi.fn(async () => undefined) };
    const loop = new RecoveryLoop({ sessions, provisioner, service, clock, log });
    clock.advance(1_000);
    expect(await loop.tick()).toBe(1);
    expect(provisioner.start).toHaveBeenCalledWith('orphan', ['requested', 'provisioning', 'starting']);
    expect(provisioner.start).not.toHaveBeenCalledWith('driven', expect.anything());
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
