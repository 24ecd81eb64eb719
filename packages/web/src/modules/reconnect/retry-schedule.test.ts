import { describe, expect, it, vi } from 'vitest';
import { RetrySchedule } from './retry-schedule';

function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 1;
  return {
    setTimer: (fn: () => void) => {
      pending.set(next, fn);
      return next++;
    },
    clearTimer: (h: unknown) => pending.delete(h as number),
    fire: () => {
      const fns = [...pending.values()];
      pending.clear();
      for (const fn of fns) fn();
    },
    size: () => pending.size,
  };
}

describe('RetrySchedule', () => {
  it('waits the backoff delay, then reports whether reconnecting is still worth it', async () => {
    const t = manualTimers();
    const shouldReconnect = vi.fn(async () => false);
    const r = new RetrySchedule({
      ...t,
      now: () => 1000,
      shouldReconnect,
      backoff: { baseMs: 500, jitter: 0 },
    });
    const due = vi.fn();
    expect(r.schedule(3, due)).toBe(1000 + 2000);
    expect(shouldReconnect).not.toHaveBeenCalled();
    t.fire();
    await vi.waitFor(() => expect(due).toHaveBeenCalledWith(false));
  });

  it('keeps trying when it cannot tell (the check threw), and a cancel drops the pending wait', async () => {
    const t = manualTimers();
    const r = new RetrySchedule({ ...t, shouldReconnect: async () => Promise.reject(new Error('offline')) });
    const due = vi.fn();
    r.schedule(1, due);
    r.schedule(2, due);
    expect(t.size()).toBe(1);
    t.fire();
    await vi.waitFor(() => expect(due).toHaveBeenCalledWith(true));
    r.schedule(1, due);
    r.cancel();
    expect(t.size()).toBe(0);
  });
});
