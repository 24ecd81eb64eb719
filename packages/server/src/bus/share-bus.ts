import type { ChatMessage, PresenceEntry } from '@porthole/contracts';

/** What crosses server replicas for a shared session. */
export type BusEvent =
  | { type: 'chat'; message: ChatMessage }
  | { type: 'presence'; users: PresenceEntry[] }
  /** Close the chat (and stream) of one participant, or of every joiner when userId is null. */
  | { type: 'kick'; userId: string | null; reason: string }
  /**
   * Sign-ins of a user ended: close their chat sockets opened with `signIn` (null: with every
   * sign-in) but not those of `exceptSignIn`, with a code that lets the page learn it is signed out.
   */
  | { type: 'signed-out'; userId: string; signIn: string | null; exceptSignIn: string | null }
  /** The session ended: close every chat socket, the owner's too, and write nothing more. */
  | { type: 'end'; reason: string };

/**
 * Share chat and presence across replicas: in-process for a single server, Redis (pub/sub for
 * delivery, a capped list for history) for several. Chat degrades when the bus is down; the
 * sessions themselves never depend on it.
 */
export interface ShareBus {
  readonly kind: 'memory' | 'redis';
  available(): boolean;
  /** Called with the new availability whenever it changes. */
  onAvailability(handler: (available: boolean) => void): () => void;
  publish(sessionId: string, event: BusEvent): Promise<void>;
  /** Appends to the session's history (bounded) and publishes. */
  appendChat(sessionId: string, message: ChatMessage): Promise<void>;
  history(sessionId: string): Promise<ChatMessage[]>;
  subscribe(sessionId: string, handler: (event: BusEvent) => void): Promise<() => Promise<void>>;
  /**
   * Sets (or, with null, removes) one connection's entry and returns everyone present. Callers
   * refresh their entries every PRESENCE_REFRESH_MS; the Redis bus drops entries older than
   * PRESENCE_STALE_MS, which is what a replica that crashed leaves behind.
   */
  setPresence(sessionId: string, connectionId: string, entry: PresenceEntry | null): Promise<PresenceEntry[]>;
  clear(sessionId: string): Promise<void>;
  /**
   * Counts one attempt against `key` in a fixed window of `windowMs` that every replica shares;
   * resolves to the seconds to wait when more than `max` fell in the window, else 0.
   */
  hit(key: string, max: number, windowMs: number): Promise<number>;
  close(): Promise<void>;
}

export const HISTORY_LIMIT = 500;
export const PRESENCE_REFRESH_MS = 15_000;
export const PRESENCE_STALE_MS = 45_000;
