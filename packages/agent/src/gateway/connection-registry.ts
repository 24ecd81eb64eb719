import type { AgentDisconnect, SessionRole } from '@porthole/contracts';

/** One open stream, as the gateway can close it. */
export interface StreamConnection {
  /** The grant's `sub`; null for a grant that names nobody (then only `allExceptOwner` reaches it). */
  userId: string | null;
  role: SessionRole;
  /** When the server issued the stream's grant (ms, server time); null for grants without it. */
  issuedAtMs: number | null;
  /** The sign-in the grant names (`sin`); null for grants without one. */
  signIn: string | null;
  close(code: number, reason: string): void;
}

/**
 * The open streams of each session by user, so a kick or a revoke can close the streams it
 * concerns (the grant is checked only when a stream opens). Entries go when the stream closes.
 * The owner's streams are the ones whose grant says `owner`: the server gives that role only to
 * the session's user.
 */
export class ConnectionRegistry {
  private readonly sessions = new Map<string, Map<string | null, Set<StreamConnection>>>();

  /** Registers an open stream; the returned function forgets it (call it when the stream closes). */
  add(sessionId: string, connection: StreamConnection): () => void {
    let users = this.sessions.get(sessionId);
    if (!users) {
      users = new Map();
      this.sessions.set(sessionId, users);
    }
    let set = users.get(connection.userId);
    if (!set) {
      set = new Set();
      users.set(connection.userId, set);
    }
    set.add(connection);
    return () => this.remove(sessionId, connection);
  }

  /** Open streams of one session, or of all. */
  count(sessionId?: string): number {
    let n = 0;
    for (const [id, users] of this.sessions) {
      if (sessionId !== undefined && id !== sessionId) continue;
      for (const set of users.values()) n += set.size;
    }
    return n;
  }

  /**
   * Closes the matching streams with `code`; returns how many. An unknown session closes none.
   * With `beforeMs` (a disconnect delivered late), only streams whose grant was issued by then.
   */
  disconnect(
    sessionId: string,
    target: AgentDisconnect,
    code: number,
    reason: string,
    beforeMs?: number,
  ): number {
    const users = this.sessions.get(sessionId);
    if (!users) return 0;
    let matching: StreamConnection[] = [];
    if ('userId' in target) {
      const { signIn, exceptSignIn } = target;
      for (const c of users.get(target.userId) ?? []) {
        if (signIn !== undefined && c.signIn !== signIn) continue;
        if (exceptSignIn !== undefined && c.signIn === exceptSignIn) continue;
        matching.push(c);
      }
    } else for (const set of users.values()) for (const c of set) if (c.role !== 'owner') matching.push(c);
    if (beforeMs !== undefined)
      matching = matching.filter((c) => c.issuedAtMs === null || c.issuedAtMs <= beforeMs);
    // Forgotten before closing, so a close that reports back synchronously finds nothing to remove.
    for (const c of matching) this.remove(sessionId, c);
    for (const c of matching) c.close(code, reason);
    return matching.length;
  }

  private remove(sessionId: string, connection: StreamConnection): void {
    const users = this.sessions.get(sessionId);
    const set = users?.get(connection.userId);
    if (!users || !set) return;
    set.delete(connection);
    if (set.size === 0) users.delete(connection.userId);
    if (users.size === 0) this.sessions.delete(sessionId);
  }
}
