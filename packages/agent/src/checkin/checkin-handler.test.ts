import type { AgentCheckinResponse, PendingDisconnect } from '@porthole/contracts';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { AgentIdentity } from '../state/identity-store.js';
import { CheckinHandler } from './checkin-handler.js';

const identity: AgentIdentity = {
  agentId: 'agent-a',
  secret: 's',
  zoneId: 'z',
  grantPublicKey: 'KEY-1',
  serverUrl: 'http://server',
  registeredAt: '',
};
const resources = {
  cores: 2,
  memoryBytes: 1,
  memoryFreeBytes: 1,
  diskFreeBytes: null,
  load1: 0,
  dockerVersion: 'x',
};
const answer = (overrides: Partial<AgentCheckinResponse> = {}): AgentCheckinResponse => ({
  images: [],
  removeSessions: [],
  disconnects: [],
  checkinIntervalSeconds: 5,
  grantPublicKey: 'KEY-1',
  ...overrides,
});

function handler() {
  const deps = {
    identity,
    store: { save: vi.fn(async () => {}) },
    grants: { setPublicKey: vi.fn() },
    reconciler: { reconcile: vi.fn(async () => {}) },
    registry: { list: () => [], report: () => [] },
    sessions: { destroy: vi.fn(async () => true) },
    sampler: { sample: vi.fn(async () => resources) },
    pulls: { report: () => [], setDesired: vi.fn() },
    streams: { disconnect: vi.fn(() => 1) },
    logger: pino({ level: 'silent' }),
    version: '0.1.0',
  };
  return { deps, checkin: new CheckinHandler(deps) };
}

describe('CheckinHandler', () => {
  it('reports what is known when Docker does not answer', async () => {
    const { deps, checkin } = handler();
    deps.reconciler.reconcile.mockRejectedValueOnce(new Error('docker down'));
    const report = await checkin.gather();
    expect(report).toMatchObject({ version: '0.1.0', resources, sessions: [], images: [] });
  });

  it('confirms a carried-out disconnect with the next check-in, once', async () => {
    const { deps, checkin } = handler();
    const disconnect: PendingDisconnect = {
      id: 'd1',
      sessionId: 'sess-1',
      target: { userId: 'u1' },
      beforeMs: 1_000,
    };
    await checkin.gather();
    await checkin.apply(answer({ disconnects: [disconnect] }));
    expect(deps.streams.disconnect).toHaveBeenCalledWith('sess-1', { userId: 'u1' }, 1_000);
    expect((await checkin.gather()).appliedDisconnects).toEqual(['d1']);
    await checkin.apply(answer());
    expect((await checkin.gather()).appliedDisconnects).toBeUndefined();
  });

  it('follows and saves a rotated grant key, hands over the wanted images and removes sessions', async () => {
    const { deps, checkin } = handler();
    deps.sessions.destroy.mockRejectedValueOnce(new Error('gone'));
    await checkin.apply(
      answer({ grantPublicKey: 'KEY-2', images: [{ ref: 'a:1' }], removeSessions: ['s1', 's2'] }),
    );
    expect(deps.grants.setPublicKey).toHaveBeenCalledWith('KEY-2');
    expect(deps.store.save).toHaveBeenCalledWith({ ...identity, grantPublicKey: 'KEY-2' });
    expect(deps.pulls.setDesired).toHaveBeenCalledWith(['a:1']);
    // One failed removal does not stop the next.
    expect(deps.sessions.destroy).toHaveBeenCalledTimes(2);
    await checkin.apply(answer({ grantPublicKey: 'KEY-2' }));
    expect(deps.store.save).toHaveBeenCalledTimes(1);
  });
});
