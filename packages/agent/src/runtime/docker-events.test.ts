import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { ContainerEvent } from './container-runtime.js';
import { parseDockerEvent, subscribeEvents } from './docker-events.js';
import { labelFilters, matchesLabels } from './labels.js';

const raw = (action: string, labels: Record<string, string>, extra: Record<string, string> = {}) => ({
  Type: 'container',
  Action: action,
  Actor: { ID: 'c1', Attributes: { image: 'img', name: 'n', ...labels, ...extra } },
  time: 1700000000,
  timeNano: 1700000000123000000,
});

describe('parseDockerEvent', () => {
  it('separates labels from Docker attributes and reads the exit code', () => {
    const event = parseDockerEvent(raw('die', { 'io.porthole.session': 's1' }, { exitCode: '137' }));
    expect(event).toEqual({
      containerId: 'c1',
      action: 'die',
      labels: { 'io.porthole.session': 's1' },
      exitCode: 137,
      time: 1700000000123,
    });
  });

  it('ignores non-container and unknown actions, folds health_status', () => {
    expect(parseDockerEvent({ ...raw('start', {}), Type: 'network' })).toBeNull();
    expect(parseDockerEvent(raw('exec_start: sh -c ls', {}))).toBeNull();
    expect(parseDockerEvent(raw('health_status: healthy', {}))?.action).toBe('health_status');
  });
});

describe('labels', () => {
  it('builds filters and re-checks matches', () => {
    expect(labelFilters({ a: '1', b: true })).toEqual(['a=1', 'b']);
    expect(() => labelFilters({})).toThrow(/at least one label/);
    expect(matchesLabels({ a: '1', b: 'x' }, { a: '1', b: true })).toBe(true);
    expect(matchesLabels({ a: '2' }, { a: '1' })).toBe(false);
    expect(matchesLabels({ a: '1' }, { a: '1', b: true })).toBe(false);
    expect(matchesLabels({ a: '1' }, {})).toBe(false);
  });
});

describe('subscribeEvents', () => {
  it('delivers matching events and reconnects with onReconnect after the stream drops', async () => {
    const streams: PassThrough[] = [];
    let failNext = 0;
    const connect = vi.fn(async () => {
      if (failNext > 0) {
        failNext -= 1;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      const stream = new PassThrough();
      streams.push(stream);
      return stream;
    });
    const events: ContainerEvent[] = [];
    const onReconnect = vi.fn();
    const onDisconnect = vi.fn();
    const stop = subscribeEvents(connect, (e) => events.push(e), {
      labels: { 'io.porthole.session': true },
      onReconnect,
      onDisconnect,
      backoff: { initialMs: 5, maxMs: 20 },
    });
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    const first = streams[0] as PassThrough;
    const line = JSON.stringify(raw('start', { 'io.porthole.session': 's1' }));
    // One event split across writes, one foreign event that must be filtered out.
    first.write(line.slice(0, 10));
    first.write(`${line.slice(10)}\n${JSON.stringify(raw('start', { other: 'x' }))}\n`);
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(onReconnect).not.toHaveBeenCalled();

    failNext = 2;
    first.destroy();
    await vi.waitFor(() => expect(streams).toHaveLength(2));
    await vi.waitFor(() => expect(onReconnect).toHaveBeenCalledTimes(1));
    expect(onDisconnect).toHaveBeenCalledTimes(1);
    expect(connect).toHaveBeenCalledTimes(4);

    (streams[1] as PassThrough).write(`${JSON.stringify(raw('die', { 'io.porthole.session': 's1' }))}\n`);
    await vi.waitFor(() => expect(events.map((e) => e.action)).toEqual(['start', 'die']));

    stop();
    expect((streams[1] as PassThrough).destroyed).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(connect).toHaveBeenCalledTimes(4);
  });

  it('stops cleanly while waiting to reconnect', async () => {
    const connect = vi.fn(async () => {
      throw new Error('down');
    });
    const stop = subscribeEvents(connect, () => {}, {
      labels: { a: true },
      backoff: { initialMs: 1000, maxMs: 1000 },
    });
    await vi.waitFor(() => expect(connect).toHaveBeenCalledTimes(1));
    stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(connect).toHaveBeenCalledTimes(1);
  });
});
