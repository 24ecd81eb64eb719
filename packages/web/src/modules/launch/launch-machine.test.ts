import type { SessionState, SessionView } from '@porthole/contracts';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import {
  classify,
  failureFromError,
  type LaunchStatus,
  launchReducer,
  pollUntilSettled,
  stepIndex,
} from './launch-machine';

function view(state: SessionState, stateReason: string | null = null): SessionView {
  return {
    id: 's1',
    userId: 'u1',
    username: 'ann',
    imageId: 'i1',
    imageName: 'firefox',
    imageFriendlyName: 'Firefox',
    agentId: 'a1',
    agentName: 'local',
    zoneId: 'z1',
    state,
    stateReason,
    staged: false,
    cores: 1,
    memoryMb: 1024,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    runningAt: null,
    keepaliveAt: '2026-01-01T00:00:00Z',
    expiresAt: null,
    lastActivityAt: null,
    shareId: null,
    streamPath: '/session/s1/',
  };
}

describe('launch states', () => {
  it('orders the visible steps and classifies every state', () => {
    expect(
      ['requested', 'provisioning', 'starting', 'running'].map((s) => stepIndex(s as SessionState)),
    ).toEqual([0, 1, 2, 3]);
    expect(stepIndex('paused')).toBe(-1);
    expect(classify('provisioning')).toBe('progress');
    expect(classify('running')).toBe('ready');
    for (const s of ['error', 'lost', 'deleted', 'stopped'] as const) expect(classify(s)).toBe('failed');
  });

  it('walks requested → provisioning → starting → running', () => {
    let s: LaunchStatus = { phase: 'idle' };
    s = launchReducer(s, { type: 'start', workspaceName: 'Firefox' });
    expect(s.phase).toBe('creating');
    s = launchReducer(s, { type: 'created', session: view('requested') });
    expect(s).toMatchObject({ phase: 'waiting', session: { state: 'requested' } });
    s = launchReducer(s, { type: 'update', session: view('provisioning') });
    s = launchReducer(s, { type: 'update', session: view('starting') });
    expect(s).toMatchObject({ phase: 'waiting', session: { state: 'starting' } });
    s = launchReducer(s, { type: 'update', session: view('running') });
    expect(s).toMatchObject({ phase: 'ready', workspaceName: 'Firefox' });
    // A late poll after the end changes nothing.
    expect(launchReducer(s, { type: 'update', session: view('starting') })).toBe(s);
  });

  it('fails with the session state reason on error', () => {
    let s: LaunchStatus = launchReducer({ phase: 'idle' }, { type: 'start', workspaceName: 'Firefox' });
    s = launchReducer(s, { type: 'created', session: view('provisioning') });
    s = launchReducer(s, { type: 'update', session: view('error', 'image porthole/firefox is not present') });
    expect(s.phase).toBe('failed');
    if (s.phase !== 'failed') throw new Error('unreachable');
    expect(s.failure).toMatchObject({ kind: 'session', message: 'image porthole/firefox is not present' });
    expect(s.session?.id).toBe('s1');
  });

  it('explains 403, 409 (with the limit) and 503 (with the placement reason)', () => {
    expect(
      failureFromError(new ApiError(403, 'forbidden', 'you may not launch workspace firefox')),
    ).toMatchObject({
      kind: 'forbidden',
      message: 'you may not launch workspace firefox',
    });
    const limit = failureFromError(new ApiError(409, 'conflict', 'limit', { limit: 2 }));
    expect(limit.kind).toBe('limit');
    expect(limit.message).toContain('2 sessions');
    expect(failureFromError(new ApiError(409, 'conflict', 'busy')).message).toBe('busy');
    expect(
      failureFromError(new ApiError(503, 'unavailable', 'no agent in zone default can take 2 cores')),
    ).toMatchObject({ kind: 'capacity', message: 'no agent in zone default can take 2 cores' });
    expect(failureFromError(new Error('boom')).kind).toBe('other');
  });

  it('keeps the session on a failed poll so it can still be deleted', () => {
    let s: LaunchStatus = launchReducer({ phase: 'idle' }, { type: 'start', workspaceName: 'Firefox' });
    s = launchReducer(s, { type: 'created', session: view('requested') });
    s = launchReducer(s, { type: 'error', error: new ApiError(0, 'network', 'offline') });
    expect(s).toMatchObject({ phase: 'failed', failure: { kind: 'network' }, session: { id: 's1' } });
    expect(launchReducer(s, { type: 'reset' })).toEqual({ phase: 'idle' });
  });
});

describe('pollUntilSettled', () => {
  const noSleep = async (_ms: number, _signal: AbortSignal) => undefined;

  it('polls until running and reports every answer', async () => {
    const states: SessionState[] = ['requested', 'provisioning', 'starting', 'starting', 'running'];
    const get = vi.fn(async () => view(states.shift() ?? 'running'));
    const seen: string[] = [];
    const sleep = vi.fn(noSleep);
    const final = await pollUntilSettled('s1', {
      get,
      onUpdate: (v) => seen.push(v.state),
      signal: new AbortController().signal,
      intervalMs: 500,
      sleep,
    });
    expect(final.state).toBe('running');
    expect(seen).toEqual(['requested', 'provisioning', 'starting', 'starting', 'running']);
    expect(get).toHaveBeenCalledTimes(5);
    expect(sleep).toHaveBeenCalledTimes(4);
    expect(sleep.mock.calls[0]?.[0]).toBe(500);
  });

  it('stops at a failure state', async () => {
    const get = vi
      .fn()
      .mockResolvedValueOnce(view('provisioning'))
      .mockResolvedValueOnce(view('error', 'pull failed'));
    const final = await pollUntilSettled('s1', {
      get,
      onUpdate: () => undefined,
      signal: new AbortController().signal,
      sleep: noSleep,
    });
    expect(final).toMatchObject({ state: 'error', stateReason: 'pull failed' });
  });

  it('rides out a few network blips but not a 404', async () => {
    const blip = new ApiError(0, 'network', 'offline');
    const get = vi
      .fn()
      .mockRejectedValueOnce(blip)
      .mockRejectedValueOnce(blip)
      .mockResolvedValueOnce(view('running'));
    await expect(
      pollUntilSettled('s1', {
        get,
        onUpdate: () => undefined,
        signal: new AbortController().signal,
        sleep: noSleep,
      }),
    ).resolves.toMatchObject({ state: 'running' });

    const gone = vi.fn().mockRejectedValue(new ApiError(404, 'not_found', 'no such session'));
    await expect(
      pollUntilSettled('s1', {
        get: gone,
        onUpdate: () => undefined,
        signal: new AbortController().signal,
        sleep: noSleep,
      }),
    ).rejects.toMatchObject({ status: 404 });
    expect(gone).toHaveBeenCalledTimes(1);

    const down = vi.fn().mockRejectedValue(blip);
    await expect(
      pollUntilSettled('s1', {
        get: down,
        onUpdate: () => undefined,
        signal: new AbortController().signal,
        sleep: noSleep,
        maxFailures: 3,
      }),
    ).rejects.toBe(blip);
    expect(down).toHaveBeenCalledTimes(3);
  });

  it('stops when aborted, with real timers', async () => {
    vi.useFakeTimers();
    try {
      const controller = new AbortController();
      const get = vi.fn(async () => view('starting'));
      const done = pollUntilSettled('s1', {
        get,
        onUpdate: () => undefined,
        signal: controller.signal,
        intervalMs: 500,
      });
      const outcome = done.catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1_600);
      expect(get).toHaveBeenCalledTimes(4);
      controller.abort(new Error('closed'));
      expect(await outcome).toMatchObject({ message: 'closed' });
      await vi.advanceTimersByTimeAsync(5_000);
      expect(get).toHaveBeenCalledTimes(4);
    } finally {
      vi.useRealTimers();
    }
  });
});
