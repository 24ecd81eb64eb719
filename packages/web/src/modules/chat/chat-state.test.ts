import type { ChatMessage, PresenceEntry } from '@porthole/contracts';
import { describe, expect, it } from 'vitest';
import {
  appendMessage,
  type ChatState,
  canSend,
  chatReducer,
  groupPresence,
  initialChatState,
  MAX_KEPT_MESSAGES,
  mergeHistory,
} from './chat-state';

const msg = (id: string, second: number, text = id): ChatMessage => ({
  id,
  kind: 'message',
  userId: 'u1',
  username: 'ann',
  text,
  at: new Date(Date.UTC(2026, 0, 1, 12, 0, second)).toISOString(),
});
const ids = (ms: readonly ChatMessage[]) => ms.map((m) => m.id);

describe('mergeHistory', () => {
  it('puts a history around a message that arrived before it, without a duplicate', () => {
    // The socket subscribes before it reads: m3 came live, then a history that also holds it.
    const merged = mergeHistory([msg('m3', 3)], [msg('m1', 1), msg('m2', 2), msg('m3', 3)]);
    expect(ids(merged)).toEqual(['m1', 'm2', 'm3']);
  });

  it('adds what was missed while away after what was shown, and keeps what a restarted bus lost', () => {
    const shown = [msg('m1', 1), msg('m2', 2)];
    expect(ids(mergeHistory(shown, [msg('m2', 2), msg('m3', 3), msg('m4', 4)]))).toEqual([
      'm1',
      'm2',
      'm3',
      'm4',
    ]);
    // Redis came back empty: the panel keeps its messages.
    expect(ids(mergeHistory(shown, []))).toEqual(['m1', 'm2']);
  });

  it('returns the same array when nothing is new (no re-render) and keeps same-time arrival order', () => {
    const shown = [msg('a', 1), msg('b', 1)];
    expect(mergeHistory(shown, [msg('b', 1), msg('a', 1)])).toBe(shown);
    expect(ids(mergeHistory(shown, [msg('c', 1)]))).toEqual(['a', 'b', 'c']);
  });

  it('keeps at most the last 500', () => {
    const many = Array.from({ length: 600 }, (_, i) => msg(`m${i}`, 0));
    const merged = mergeHistory([], many);
    expect(merged).toHaveLength(MAX_KEPT_MESSAGES);
    expect(merged[0]?.id).toBe('m100');
  });
});

describe('appendMessage', () => {
  it('ignores a message already there (it came with the history)', () => {
    const shown = [msg('m1', 1)];
    expect(appendMessage(shown, msg('m1', 1))).toBe(shown);
    expect(ids(appendMessage(shown, msg('m2', 2)))).toEqual(['m1', 'm2']);
  });
});

describe('groupPresence', () => {
  it('lists each person once with their tab count, owner first, then by name', () => {
    const entries: PresenceEntry[] = [
      { userId: 'v2', username: 'zoe', role: 'viewer' },
      { userId: 'v1', username: 'bob', role: 'viewer' },
      { userId: 'o', username: 'owner', role: 'owner' },
      { userId: 'v1', username: 'bob', role: 'viewer' },
      { userId: 'c', username: 'carl', role: 'collaborator' },
    ];
    expect(groupPresence(entries)).toEqual([
      { userId: 'o', username: 'owner', role: 'owner', connections: 1 },
      { userId: 'c', username: 'carl', role: 'collaborator', connections: 1 },
      { userId: 'v1', username: 'bob', role: 'viewer', connections: 2 },
      { userId: 'v2', username: 'zoe', role: 'viewer', connections: 1 },
    ]);
  });
});

describe('chatReducer', () => {
  const open = (s: ChatState = initialChatState) => chatReducer(s, { type: 'open' });

  it('sends only while the socket is open and the bus is up', () => {
    let s = open();
    expect(canSend(s)).toBe(false); // no status yet
    s = chatReducer(s, { type: 'frame', frame: { type: 'status', available: true } });
    expect(canSend(s)).toBe(true);
    s = chatReducer(s, { type: 'frame', frame: { type: 'status', available: false } });
    expect(canSend(s)).toBe(false);
  });

  it('merges history and live messages, keeps the last error, forgets presence while away', () => {
    let s = open();
    s = chatReducer(s, { type: 'frame', frame: { type: 'message', message: msg('m2', 2) } });
    s = chatReducer(s, { type: 'frame', frame: { type: 'history', messages: [msg('m1', 1), msg('m2', 2)] } });
    s = chatReducer(s, {
      type: 'frame',
      frame: { type: 'presence', users: [{ userId: 'u1', username: 'ann', role: 'owner' }] },
    });
    s = chatReducer(s, { type: 'frame', frame: { type: 'error', message: 'slow down' } });
    expect(ids(s.messages)).toEqual(['m1', 'm2']);
    expect(s.error).toBe('slow down');
    expect(s.presence).toHaveLength(1);
    s = chatReducer(s, { type: 'reconnecting', retryAt: 1 });
    expect(s.presence).toEqual([]);
    expect(ids(s.messages)).toEqual(['m1', 'm2']);
    s = chatReducer(s, { type: 'closed', code: 4001, reason: 'removed by the owner' });
    expect(s.link).toEqual({ kind: 'closed', code: 4001, reason: 'removed by the owner' });
    expect(canSend(s)).toBe(false);
  });
});
