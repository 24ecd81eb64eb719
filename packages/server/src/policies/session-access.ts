import type { SessionRole } from '@porthole/contracts';
import type { Caller } from '../http/caller.js';

/**
 * The one answer to "who is this caller to this session": the session API, the stream
 * authorisation, sharing and chat all ask here, so an owner, a participant and an admin are
 * told apart the same way everywhere. Pure: callers load the facts and say what they need.
 */
export interface SessionFacts {
  /** The owner; null for a staged session nobody holds yet. */
  user_id: string | null;
  /** Set once the session is deleted (or failed for good). */
  ended_at: Date | null;
}

export type ParticipantRole = 'viewer' | 'collaborator';

/** Owner, or an administrator acting for them: may act on the session (pause, delete, share…). */
export function mayManage(caller: Caller, session: SessionFacts): boolean {
  return session.user_id === caller.userId || caller.isAdmin;
}

/**
 * The caller's role in a session, or null for none. A participant's role counts only while the
 * session lives (their access ended with it); an administrator who is neither sees as a viewer.
 * `participantRole` is asked only when the caller is not the owner.
 */
export async function sessionRole(
  caller: Caller,
  session: SessionFacts,
  participantRole: () => Promise<ParticipantRole | null>,
  options: { ended: 'none' | 'owner-and-admin' } = { ended: 'none' },
): Promise<SessionRole | null> {
  if (session.ended_at && options.ended === 'none') return null;
  if (session.user_id === caller.userId) return 'owner';
  const participant = session.ended_at ? null : await participantRole();
  return participant ?? (caller.isAdmin ? 'viewer' : null);
}
