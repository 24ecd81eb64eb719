import { describe, expect, it, vi } from 'vitest';
import { backoffDelay } from './backoff';
import { type RfbLike, VncConnection, type VncStatus } from './vnc-connection';

class FakeRfb implements RfbLike {
  viewOnly = false;
  scaleViewport = false;
  resizeSession = false;
  clipViewport = true;
  focusOnClick = false;
  background = '';
  disconnected = false;
  private listeners = new Map<string, Array<(e: CustomEvent) => void>>();
  constructor(
    readonly url: string,
    /** The WebSocket's close, as the real factory reports it. */
    readonly socketClose: (code: number, reason: string) => void = () => undefined,
  ) {}
  addEventListener(type: string, l: (e: CustomEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  emit(type: string, detail: unknown = {}) {
    for (const l of this.listeners.get(type) ?? []) l(new CustomEvent(type, { detail }));
  }
  disconnect() {
    this.disconnected = true;
    this.emit('disconnect', { clean: true });
  }
  focus = vi.fn();
  clipboardPasteFrom = vi.fn();
  sendCtrlAltDel = vi.fn();
}

function setup(
  shouldReconnect = vi.fn(async () => true),
  extra: { resize?: boolean; viewOnly?: boolean } = {},
) {
  const rfbs: FakeRfb[] = [];
  const statuses: VncStatus[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const conn = new VncConnection({
    target: {} as HTMLElement,
    url: 'wss://h/session/s1/websockify',
    ...extra,
    createRfb: (_t, url, onSocketClose) => {
      const r = new FakeRfb(url, onSocketClose);
      rfbs.push(r);
      return r;
    },
    onStatus: (s) => statuses.push(s),
    shouldReconnect,
    backoff: { baseMs: 1000, maxMs: 8000, jitter: 0 },
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
    now: () => 0,
  });
  const fire = async () => {
    const t = timers.shift();
    t?.fn();
    await Promise.resolve();
    await Promise.resolve();
  };
  return { conn, rfbs, statuses, timers, fire, shouldReconnect };
}

describe('backoffDelay', () => {
  it('doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, { baseMs: 1000, maxMs: 30_000 }))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    const d = backoffDelay(3, { baseMs: 1000, jitter: 0.5, random: () => 0 });
    expect(d).toBe(2000);
  });
});

describe('VncConnection', () => {
  it('connects without credentials, resizes the remote screen and focuses on connect', () => {
    const { conn, rfbs, statuses } = setup();
    conn.start();
    const rfb = rfbs[0] as FakeRfb;
    expect(rfb.url).toBe('wss://h/session/s1/websockify');
    expect(rfb.resizeSession).toBe(true);
    expect(rfb.scaleViewport).toBe(false);
    rfb.emit('connect');
    expect(statuses.at(-1)).toEqual({ kind: 'connected' });
    expect(rfb.focus).toHaveBeenCalled();
  });

  it('reconnects after a drop with growing delays, and resets after success', async () => {
    const { conn, rfbs, statuses, timers, fire } = setup();
    conn.start();
    rfbs[0]?.emit('connect');
    rfbs[0]?.emit('disconnect', { clean: false });
    expect(statuses.at(-1)).toMatchObject({ kind: 'reconnecting', attempt: 0 });
    expect(timers[0]?.ms).toBe(1000);
    await fire();
    expect(rfbs).toHaveLength(2);
    rfbs[1]?.emit('disconnect', { clean: false });
    expect(timers[0]?.ms).toBe(1000);
    await fire();
    rfbs[2]?.emit('disconnect', { clean: false });
    expect(timers[0]?.ms).toBe(2000);
    await fire();
    rfbs[3]?.emit('disconnect', { clean: false });
    expect(timers[0]?.ms).toBe(4000);
    await fire();
    rfbs[4]?.emit('connect');
    expect(statuses.at(-1)).toEqual({ kind: 'connected' });
    rfbs[4]?.emit('disconnect', { clean: false });
    expect(timers[0]?.ms).toBe(1000);
  });

  it('gives up when the session is no longer running', async () => {
    const { conn, rfbs, statuses, fire } = setup(vi.fn(async () => false));
    conn.start();
    rfbs[0]?.emit('connect');
    rfbs[0]?.emit('disconnect', { clean: false });
    await fire();
    expect(rfbs).toHaveLength(1);
    expect(statuses.at(-1)).toMatchObject({ kind: 'disconnected' });
  });

  it('treats a password prompt as fatal: the browser never holds VNC credentials', () => {
    const { conn, rfbs, statuses, timers } = setup();
    conn.start();
    rfbs[0]?.emit('credentialsrequired', { types: ['password'] });
    expect(rfbs[0]?.disconnected).toBe(true);
    expect(statuses.at(-1)).toMatchObject({ kind: 'failed' });
    expect(timers).toHaveLength(0);
  });

  it('stops for good when told to, and reconnectNow skips the wait', async () => {
    const { conn, rfbs, statuses, timers } = setup();
    conn.start();
    rfbs[0]?.emit('disconnect', { clean: false });
    expect(timers).toHaveLength(1);
    conn.reconnectNow();
    expect(rfbs).toHaveLength(2);
    conn.stop();
    expect(rfbs[1]?.disconnected).toBe(true);
    expect(statuses.at(-1)).toMatchObject({ kind: 'disconnected' });
  });

  it('never resizes a shared desktop it does not own, scaled or not', () => {
    const { conn, rfbs } = setup(undefined, { resize: false, viewOnly: true });
    conn.start();
    const rfb = rfbs[0] as FakeRfb;
    expect(rfb.resizeSession).toBe(false);
    expect(rfb.viewOnly).toBe(true);
    conn.setScaleViewport(true);
    conn.setScaleViewport(false);
    expect(rfb.resizeSession).toBe(false);
  });

  it('does not retry a stream closed with 4001 (removed) and reports the code', async () => {
    const { conn, rfbs, statuses, timers } = setup();
    conn.start();
    const rfb = rfbs[0] as FakeRfb;
    rfb.emit('connect');
    rfb.socketClose(4001, 'removed by the owner');
    rfb.emit('disconnect', { clean: false });
    expect(statuses.at(-1)).toEqual({ kind: 'failed', reason: 'removed by the owner', code: 4001 });
    expect(timers).toEqual([]);
  });

  it('retries after an ordinary close code', () => {
    const { conn, rfbs, statuses, timers } = setup();
    conn.start();
    const rfb = rfbs[0] as FakeRfb;
    rfb.emit('connect');
    rfb.socketClose(1006, '');
    rfb.emit('disconnect', { clean: false });
    expect(statuses.at(-1)?.kind).toBe('reconnecting');
    expect(timers).toHaveLength(1);
  });

  it('comes back after the first delay when the role changed (4003), asking for the access first', async () => {
    const { conn, rfbs, statuses, timers, fire, shouldReconnect } = setup();
    conn.start();
    rfbs[0]?.emit('connect');
    rfbs[0]?.socketClose(4003, 'your role in this session changed');
    rfbs[0]?.emit('disconnect', { clean: false });
    expect(statuses.at(-1)?.kind).toBe('reconnecting');
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    await fire();
    // The page's shouldReconnect re-reads its access, so the new stream is opened as the new role.
    expect(shouldReconnect).toHaveBeenCalledOnce();
    expect(rfbs).toHaveLength(2);
  });
});
