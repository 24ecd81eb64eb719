import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { AgentHealth } from './agent-health.js';

const t0 = new Date('2026-01-01T00:00:00Z');

function setup(offline: string[]) {
  const clock = new ManualClock(t0);
  const log = { info: vi.fn(), warn: vi.fn() };
  const markSilentOffline = vi.fn(async (_cutoff: Date, _now: Date, _seenSince?: Date) => offline);
  const markLostOnAgent = vi.fn(async (agentId: string) => (agentId === 'a1' ? 2 : 0));
  const health = new AgentHealth({
    agents: { markSilentOffline },
    sessions: { markLostOnAgent },
    clock,
    checkinSeconds: 5,
    log,
  });
  return { clock, log, health, markSilentOffline, markLostOnAgent };
}

describe('AgentHealth', () => {
  it('takes agents silent for three check-ins offline and marks their sessions lost', async () => {
    const { clock, health, markSilentOffline, markLostOnAgent, log } = setup(['a1']);
    clock.advance(60_000);
    expect(await health.sweep()).toBe(2);
    const [cutoff, now, seenSince] = markSilentOffline.mock.calls[0] ?? [];
    // Three 5-second check-ins missed.
    expect(cutoff?.getTime()).toBe(clock.now().getTime() - 15_000);
    expect(now).toEqual(clock.now());
    // Past the settling time: any silent agent counts, not only those seen since the start.
    expect(seenSince).toBeUndefined();
    expect(markLostOnAgent).toHaveBeenCalledWith('a1', 'agent offline', clock.now());
    expect(log.warn).toHaveBeenCalledWith({ agentId: 'a1' }, 'agent missed three check-ins: offline');
  });

  it('right after a start, only declares offline the agents seen since then (they may be backing off)', async () => {
    const { clock, health, markSilentOffline } = setup([]);
    clock.advance(10_000);
    expect(await health.sweep()).toBe(0);
    expect(markSilentOffline.mock.calls[0]?.[2]).toEqual(t0);
  });

  it('says an agent that was offline is back when it checks in, and stays quiet otherwise', () => {
    const { health, log } = setup([]);
    health.checkedIn({ id: 'a1', offline_since: null });
    expect(log.info).not.toHaveBeenCalled();
    health.checkedIn({ id: 'a1', offline_since: t0 });
    expect(log.info).toHaveBeenCalledWith({ agentId: 'a1' }, 'agent is back online');
  });
});
