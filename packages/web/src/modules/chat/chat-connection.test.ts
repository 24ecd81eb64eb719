import { describe, expect, it } from 'vitest';
import { ChatConnection, chatUrl, type SocketLike } from './chat-connection';
import type { ChatEvent } from './chat-state';

type Listener = (e: never) => void;

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closedWith: number | undefined;
  private listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, l: Listener) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  emit(type: string, e: unknown = {}) {
    for (const l of this.listeners.get(type) ?? []) (l as (e: unknown) => void)(e);
  }
  open() {
    this.readyState = 1;
    this.emit('open');
  }
  serverClose(code: number, reason = '') {
    this.readyState = 3;
    this.emit('close', { code, reason });
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code?: number) {
    this.closedWith = code;
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const events: ChatEvent[] = [];
  const timers: Array<() => void> = [];
  const conn = new ChatConnection({
    url: 'wss://h/api/sessions/s1/chat',
    onEvent: (e) => events.push(e),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    backoff: { baseMs: 1000, jitter: 0 },
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => undefined,
    now: () => 0,
  });
  return { conn, sockets, events, timers };
}

describe('ChatConnection', () => {
  it('builds the socket URL on this origin', () => {
    expect(chatUrl('s 1', { protocol: 'https:', host: 'p.example:8443' })).toBe(
      'wss://p.example:8443/api/sessions/s%201/chat',
    );
  });

  it('passes known frames on, skips garbage, and sends messages as JSON', () => {
    const { conn, sockets, events } = setup();
    conn.start();
    const s = sockets[0] as FakeSocket;
    expect(conn.send('too early')).toBe(false);
    s.open();
    s.emit('message', { data: '{"type":"status","available":true}' });
    s.emit('message', { data: 'not json' });
    s.emit('message', { data: '{"type":"unknown"}' });
    expect(events.filter((e) => e.type === 'frame')).toEqual([
      { type: 'frame', frame: { type: 'status', available: true } },
    ]);
    expect(conn.send('hi')).toBe(true);
    expect(s.sent).toEqual(['{"type":"message","text":"hi"}']);
  });

  it('reconnects after a drop or a server restart (1001), not after 4001 or 4004', async () => {
    const { conn, sockets, events, timers } = setup();
    conn.start();
    (sockets[0] as FakeSocket).open();
    (sockets[0] as FakeSocket).serverClose(1001, 'server shutting down');
    expect(events.at(-1)).toEqual({ type: 'reconnecting', retryAt: 1000 });
    timers.shift()?.();
    await Promise.resolve();
    expect(sockets).toHaveLength(2);
    (sockets[1] as FakeSocket).open();
    (sockets[1] as FakeSocket).serverClose(4001, 'removed by the owner');
    expect(events.at(-1)).toEqual({ type: 'closed', code: 4001, reason: 'removed by the owner' });
    expect(timers).toEqual([]);
    conn.reconnectNow();
    expect(sockets).toHaveLength(2);
  });
});
