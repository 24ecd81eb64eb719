import {
  type ChatMessage,
  chatMessageSchema,
  type PresenceEntry,
  presenceEntrySchema,
  type SessionRole,
} from '@porthole/contracts';
import { z } from 'zod';

/** Server → browser frames of the chat socket (docs/sharing.md), checked before they touch state. */
export const chatFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), available: z.boolean() }),
  z.object({ type: z.literal('history'), messages: z.array(chatMessageSchema) }),
  z.object({ type: z.literal('message'), message: chatMessageSchema }),
  z.object({ type: z.literal('presence'), users: z.array(presenceEntrySchema) }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type ChatFrame = z.infer<typeof chatFrameSchema>;

/** The server keeps the last 500; keeping as many here bounds a long session's memory. */
export const MAX_KEPT_MESSAGES = 500;

export type ChatLink =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'reconnecting'; retryAt: number }
  /** For good: a final close code (contracts' FINAL_CLOSE_CODES), or 0 when the access read said no. */
  | { kind: 'closed'; code: number; reason: string };

export interface ChatState {
  messages: ChatMessage[];
  /** One entry per connection, as the server sends it; see groupPresence. */
  presence: PresenceEntry[];
  /** The share bus: null until the server said, false while it is down. */
  available: boolean | null;
  link: ChatLink;
  /** The last refusal or explanation the server sent (`error` frame). */
  error: string | null;
}

export const initialChatState: ChatState = {
  messages: [],
  presence: [],
  available: null,
  link: { kind: 'connecting' },
  error: null,
};

export type ChatEvent =
  | { type: 'connecting' }
  | { type: 'open' }
  | { type: 'frame'; frame: ChatFrame }
  | { type: 'reconnecting'; retryAt: number }
  | { type: 'closed'; code: number; reason: string }
  | { type: 'dismiss-error' };

/**
 * Merges a history into what the panel already shows. Both lists are in the server's one global
 * order; a history may repeat messages already received (the socket subscribes before it reads the
 * history) or miss ones shown before (Redis restarted empty), so: union by id, then a stable sort by
 * time, which keeps the arrival order of messages with the same timestamp.
 */
export function mergeHistory(
  current: readonly ChatMessage[],
  history: readonly ChatMessage[],
): ChatMessage[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  const before = byId.size;
  for (const m of history) if (!byId.has(m.id)) byId.set(m.id, m);
  if (byId.size === before) return current as ChatMessage[];
  // Map keeps insertion order: what was shown first, then the new ones; the sort is stable.
  const merged = [...byId.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return merged.slice(-MAX_KEPT_MESSAGES);
}

/** Appends one live message unless it is already there (it may have come with a history). */
export function appendMessage(current: readonly ChatMessage[], message: ChatMessage): ChatMessage[] {
  if (current.some((m) => m.id === message.id)) return current as ChatMessage[];
  return [...current, message].slice(-MAX_KEPT_MESSAGES);
}

export interface PresentPerson {
  userId: string;
  username: string;
  role: SessionRole;
  /** Open chat connections (tabs) of this person. */
  connections: number;
}

const roleRank: Record<SessionRole, number> = { owner: 0, collaborator: 1, viewer: 2 };

/** One entry per person (the server lists connections): owner first, then by name. */
export function groupPresence(entries: readonly PresenceEntry[]): PresentPerson[] {
  const people = new Map<string, PresentPerson>();
  for (const e of entries) {
    const known = people.get(e.userId);
    if (known) {
      known.connections += 1;
      // Two tabs may carry different roles briefly (a re-join changed it): show the stronger one.
      if (roleRank[e.role] < roleRank[known.role]) known.role = e.role;
    } else {
      people.set(e.userId, { userId: e.userId, username: e.username, role: e.role, connections: 1 });
    }
  }
  return [...people.values()].sort(
    (a, b) => roleRank[a.role] - roleRank[b.role] || a.username.localeCompare(b.username),
  );
}

export function chatReducer(state: ChatState, event: ChatEvent): ChatState {
  switch (event.type) {
    case 'connecting':
      return { ...state, link: { kind: 'connecting' } };
    case 'open':
      return { ...state, link: { kind: 'open' } };
    case 'reconnecting':
      // Who is here is unknown while we are away; the next presence frame says it again.
      return { ...state, link: { kind: 'reconnecting', retryAt: event.retryAt }, presence: [] };
    case 'closed':
      return {
        ...state,
        link: { kind: 'closed', code: event.code, reason: event.reason },
        presence: [],
        available: false,
      };
    case 'dismiss-error':
      return { ...state, error: null };
    case 'frame':
      return applyFrame(state, event.frame);
  }
}

function applyFrame(state: ChatState, frame: ChatFrame): ChatState {
  switch (frame.type) {
    case 'status':
      return { ...state, available: frame.available };
    case 'history':
      return { ...state, messages: mergeHistory(state.messages, frame.messages) };
    case 'message':
      return { ...state, messages: appendMessage(state.messages, frame.message) };
    case 'presence':
      return { ...state, presence: frame.users };
    case 'error':
      return { ...state, error: frame.message };
  }
}

/** Whether the input may send now. */
export function canSend(state: ChatState): boolean {
  return state.link.kind === 'open' && state.available === true;
}
