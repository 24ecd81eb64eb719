import type { AgentCheckinRequest, AgentCheckinResponse } from '@porthole/contracts';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { ControlPlaneError } from '../control/control-client.js';
import { Backoff } from '../util/backoff.js';
import { CheckinLoop } from './checkin-loop.js';

const logger = pino({ level: 'silent' });
const report: AgentCheckinRequest = {
  version: '0.1.0',
  resources: {
    cores: 1,
    memoryBytes: 1,
    memoryFreeBytes: 1,
    diskFreeBytes: null,
    load1: 0,
    dockerVersion: 'x',
  },
  sessions: [],
  images: [],
};
const response: AgentCheckinResponse = {
  images: [{ ref: 'a:1' }],
  removeSessions: [],
  disconnects: [],
  checkinIntervalSeconds: 7,
  grantPublicKey: 'PEM',
};

function loop(outcomes: Array<AgentCheckinResponse | Error>, apply = vi.fn(async () => {})) {
  const checkin = vi.fn(async () => {
    const next = outcomes.shift();
    if (!next || next instanceof Error) throw next ?? new Error('done');
    return next;
  });
  const metrics = { checkinSucceeded: vi.fn(), checkinFailed: vi.fn() };
  const instance = new CheckinLoop({
    client: { checkin },
    credentials: { agentId: 'a', secret: 's' },
    gather: async () => report,
    apply,
    logger,
    intervalMs: 5_000,
    backoff: new Backoff(1_000, 30_000, () => 1),
    metrics,
  });
  return { instance, checkin, apply, metrics };
}

describe('CheckinLoop', () => {
  it('reports the round trip of answered check-ins and counts failed ones, not failed applies', async () => {
    const { instance, metrics } = loop(
      [response, new ControlPlaneError('cannot reach', 0), response],
      vi.fn(async () => {
        throw new Error('apply broke');
      }),
    );
    for (let i = 0; i < 3; i += 1) await instance.once();
    expect(metrics.checkinSucceeded).toHaveBeenCalledTimes(2);
    expect(metrics.checkinSucceeded.mock.calls[0]?.[0]).toBeGreaterThanOrEqual(0);
    expect(metrics.checkinFailed).toHaveBeenCalledTimes(1);
  });

  it("follows the server's interval and hands its answer over", async () => {
    const { instance, checkin, apply } = loop([response]);
    expect(await instance.once()).toBe(7_000);
    expect(checkin).toHaveBeenCalledWith({ agentId: 'a', secret: 's' }, report);
    expect(apply).toHaveBeenCalledWith(response);
    expect(instance.lastSuccessAt).not.toBeNull();
  });

  it('backs off 1 s → 30 s while the server is unreachable, then returns to the interval', async () => {
    const down = new ControlPlaneError('cannot reach', 0);
    const { instance } = loop([down, down, down, down, down, down, down, response]);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) delays.push(await instance.once());
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 7_000]);
  });

  it('counts a failure to act on the answer as a successful check-in', async () => {
    const { instance } = loop(
      [response],
      vi.fn(async () => {
        throw new Error('docker down');
      }),
    );
    expect(await instance.once()).toBe(7_000);
  });

  it('runs until stopped', async () => {
    vi.useFakeTimers();
    try {
      const { instance, checkin } = loop([response, response, response, response]);
      instance.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(checkin).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(7_000);
      expect(checkin).toHaveBeenCalledTimes(2);
      instance.trigger();
      await vi.advanceTimersByTimeAsync(0);
      expect(checkin).toHaveBeenCalledTimes(3);
      await instance.stop();
      await vi.advanceTimersByTimeAsync(30_000);
      expect(checkin).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a trigger while a check-in is under way brings another one right after it', async () => {
    vi.useFakeTimers();
    try {
      let instance: CheckinLoop | undefined;
      let calls = 0;
      const checkin = vi.fn(async () => {
        calls += 1;
        // An image became present while the first report was on its way.
        if (calls === 1) instance?.trigger();
        return response;
      });
      instance = new CheckinLoop({
        client: { checkin },
        credentials: { agentId: 'a', secret: 's' },
        gather: async () => report,
        apply: async () => undefined,
        logger,
        intervalMs: 5_000,
      });
      instance.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(checkin).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(6_000);
      expect(checkin).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(checkin).toHaveBeenCalledTimes(3);
      await instance.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
