import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RuntimeError } from '../runtime/container-runtime.js';
import { MemoryRuntime } from '../testkit/memory-runtime.js';
import { PullScheduler } from './pull-scheduler.js';

const logger = pino({ level: 'silent' });

function deferred() {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PullScheduler', () => {
  it('never pulls an image that is present, and reports it present', async () => {
    const runtime = new MemoryRuntime();
    runtime.images.add('local/built:latest');
    const scheduler = new PullScheduler({ runtime, logger });
    scheduler.setDesired(['local/built:latest']);
    await scheduler.idle();
    expect(runtime.calls.filter((c) => c.startsWith('pull'))).toEqual([]);
    expect(scheduler.report()).toEqual([{ ref: 'local/built:latest', state: 'present' }]);
  });

  it('says when an image settles (present, or its pull failed), once per change', async () => {
    const runtime = new MemoryRuntime();
    runtime.images.add('here:1');
    runtime.pull = async (ref) => {
      if (ref === 'broken:1') throw new RuntimeError('not_found', `pull ${ref}: manifest unknown`);
      runtime.images.add(ref);
    };
    const settled: string[] = [];
    const scheduler = new PullScheduler({ runtime, logger, onSettled: (ref) => settled.push(ref) });
    scheduler.setDesired(['here:1', 'pulled:1', 'broken:1']);
    await scheduler.idle();
    expect(settled.sort()).toEqual(['broken:1', 'here:1', 'pulled:1']);
    // Checked again and still present: no news.
    scheduler.setDesired(['here:1', 'pulled:1']);
    await scheduler.idle();
    expect(settled).toHaveLength(3);
  });

  it('tells the metrics of each failed pull and how many pulls are downloading', async () => {
    const runtime = new MemoryRuntime();
    const gate = deferred();
    runtime.pull = async (ref) => {
      if (ref === 'broken:1') throw new RuntimeError('not_found', `pull ${ref}: manifest unknown`);
      await gate.promise;
      runtime.images.add(ref);
    };
    const metrics = { pullFailed: vi.fn() };
    const scheduler = new PullScheduler({ runtime, logger, metrics });
    expect(scheduler.pullsInProgress()).toBe(0);
    scheduler.setDesired(['slow:1', 'broken:1']);
    await vi.waitFor(() => expect(metrics.pullFailed).toHaveBeenCalledTimes(1));
    await vi.waitFor(() => expect(scheduler.pullsInProgress()).toBe(1));
    gate.resolve();
    await scheduler.idle();
    expect(scheduler.pullsInProgress()).toBe(0);
    scheduler.close();
  });

  it('pulls missing images at most two at a time, with progress in the report', async () => {
    const runtime = new MemoryRuntime();
    const gates = new Map<string, ReturnType<typeof deferred>>();
    let concurrent = 0;
    let peak = 0;
    runtime.pull = async (ref, onProgress) => {
      concurrent += 1;
      peak = Math.max(peak, concurrent);
      onProgress({ layersTotal: 4, layersDone: 1, bytesTotal: 400, bytesDone: 100 });
      const gate = deferred();
      gates.set(ref, gate);
      await gate.promise;
      concurrent -= 1;
      runtime.images.add(ref);
    };
    const scheduler = new PullScheduler({ runtime, logger, concurrency: 2 });
    scheduler.setDesired(['a:1', 'b:1', 'c:1']);
    await vi.waitFor(() => expect(gates.size).toBe(2));
    const report = scheduler.report();
    expect(report.filter((r) => r.state === 'pulling')).toHaveLength(2);
    expect(report.find((r) => r.ref === 'a:1')).toMatchObject({
      layersDone: 1,
      layersTotal: 4,
      bytesDone: 100,
      bytesTotal: 400,
    });
    expect(report.find((r) => r.ref === 'c:1')?.state).toBe('missing');
    gates.get('a:1')?.resolve();
    await vi.waitFor(() => expect(gates.has('c:1')).toBe(true));
    gates.get('b:1')?.resolve();
    gates.get('c:1')?.resolve();
    await scheduler.idle();
    expect(peak).toBe(2);
    expect(scheduler.report().map((r) => r.state)).toEqual(['present', 'present', 'present']);
  });

  it("reports Docker's message on failure and retries with growing delays", async () => {
    vi.useFakeTimers();
    const runtime = new MemoryRuntime();
    let attempts = 0;
    runtime.pull = async (ref) => {
      attempts += 1;
      if (attempts < 3) throw new RuntimeError('not_found', `pull ${ref}: manifest unknown`);
      runtime.images.add(ref);
    };
    const scheduler = new PullScheduler({ runtime, logger, retry: { initialMs: 1_000, maxMs: 10_000 } });
    scheduler.setDesired(['reg/x:1']);
    await scheduler.idle();
    expect(scheduler.report()).toEqual([
      { ref: 'reg/x:1', state: 'error', message: 'pull reg/x:1: manifest unknown' },
    ]);
    await vi.advanceTimersByTimeAsync(999);
    expect(attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await scheduler.idle();
    expect(attempts).toBe(2);
    // The second failure waits twice as long.
    await vi.advanceTimersByTimeAsync(1_999);
    expect(attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await scheduler.idle();
    expect(attempts).toBe(3);
    expect(scheduler.report()).toEqual([{ ref: 'reg/x:1', state: 'present' }]);
    scheduler.close();
  });

  it('counts an image built locally after a failed pull as present, without pulling', async () => {
    const runtime = new MemoryRuntime();
    runtime.pull = async () => {
      throw new RuntimeError('failed', 'pull: connection refused');
    };
    const scheduler = new PullScheduler({ runtime, logger, retry: { initialMs: 60_000, maxMs: 60_000 } });
    scheduler.setDesired(['porthole/desktop:latest']);
    await scheduler.idle();
    expect(scheduler.report()[0]?.state).toBe('error');
    runtime.images.add('porthole/desktop:latest');
    scheduler.setDesired(['porthole/desktop:latest']);
    await scheduler.idle();
    expect(scheduler.report()).toEqual([{ ref: 'porthole/desktop:latest', state: 'present' }]);
    expect(runtime.calls.filter((c) => c.startsWith('pull'))).toHaveLength(1);
    scheduler.close();
  });

  it('pulls again when an image it held disappears, and drops images no longer wanted', async () => {
    const runtime = new MemoryRuntime();
    runtime.images.add('a:1');
    const scheduler = new PullScheduler({ runtime, logger });
    scheduler.setDesired(['a:1', 'b:1']);
    await scheduler.idle();
    expect(runtime.calls).toEqual(['pull b:1']);
    runtime.images.delete('a:1');
    scheduler.setDesired(['a:1']);
    await scheduler.idle();
    expect(runtime.calls).toEqual(['pull b:1', 'pull a:1']);
    expect(scheduler.report()).toEqual([{ ref: 'a:1', state: 'present' }]);
  });

  it('keeps its state when Docker cannot be asked', async () => {
    const runtime = new MemoryRuntime();
    runtime.images.add('a:1');
    const scheduler = new PullScheduler({ runtime, logger });
    scheduler.setDesired(['a:1']);
    await scheduler.idle();
    vi.spyOn(runtime, 'imagePresent').mockRejectedValue(new RuntimeError('unavailable', 'Docker is down'));
    scheduler.setDesired(['a:1']);
    await scheduler.idle();
    expect(scheduler.report()).toEqual([{ ref: 'a:1', state: 'present' }]);
  });
});
