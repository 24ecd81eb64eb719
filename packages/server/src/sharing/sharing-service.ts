import { randomBytes } from 'node:crypto';
import type {
  EffectiveSettings,
  JoinedSession,
  ParticipantView,
  SessionAccess,
  SessionRole,
  ShareView,
} from '@porthole/contracts';
import type { BusEvent, ShareBus } from '../bus/share-bus.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import type { Clock } from '../platform/clock.js';
import { newId } from '../platform/crypto.js';
import { mayManage, sessionRole } from '../policies/session-access.js';
import type { SessionRepo } from '../sessions/session-repo.js';
import type { SessionService } from '../sessions/session-service.js';
import type { SharingRepo } from './sharing-repo.js';
import type { StreamDisconnector } from './stream-disconnector.js';

export interface SharingDeps {
  repo: SharingRepo;
  sessions: Pick<SessionRepo, 'find'>;
  sessionService: Pick<SessionService, 'view'>;
  settings: { forUser(userId: string): Promise<EffectiveSettings> };
  bus: ShareBus;
  clock: Clock;
  /** Closes streams already open on the agent; absent, only chat sockets are closed. */
  streams?: StreamDisconnector;
}

/** Sharing a running session by link: who may join, as what, and taking it back. */
export class SharingService {
  private readonly shutdownSteps: Array<() => Promise<void>> = [];

  constructor(private readonly deps: SharingDeps) {}

  /** Runs `step` when the server shuts down, before the share bus disconnects (chat sockets). */
  onShutdown(step: () => Promise<void>): void {
    this.shutdownSteps.push(step);
  }

  /** The server is stopping: close what hangs off sharing, then the bus (Redis connections). */
  async shutdown(): Promise<void> {
    for (const step of this.shutdownSteps.splice(0)) await step().catch(() => undefined);
    await this.deps.bus.close();
  }

  /** Refuses up front when a user's groups do not allow sharing (before anything is created). */
  async assertMayShare(userId: string): Promise<void> {
    if (!(await this.deps.settings.forUser(userId)).allow_sharing) {
      throw new ForbiddenError('your groups do not allow sharing sessions');
    }
  }

  /** Any live session may be shared (a link can be handed out while it is still starting). */
  async enable(caller: Caller, sessionId: string, origin: string): Promise<ShareView> {
    const session = await this.ownedLive(caller, sessionId, true);
    if (!session.user_id) throw new ConflictError('a staged session cannot be shared');
    const settings = await this.deps.settings.forUser(session.user_id);
    if (!settings.allow_sharing) throw new ForbiddenError('your groups do not allow sharing sessions');
    const shareId = session.share_id ?? randomBytes(16).toString('hex');
    if (!session.share_id) await this.deps.repo.setShareId(sessionId, shareId);
    return { shareId, url: `${origin}/join/${shareId}` };
  }

  async disable(caller: Caller, sessionId: string): Promise<void> {
    const session = await this.ownedLive(caller, sessionId, true);
    await this.deps.repo.setShareId(sessionId, null);
    await this.deps.repo.removeAll(sessionId);
    // After Postgres: a viewer reconnecting while the agent closes their stream is refused. Side
    // by side, so a slow agent does not hold up the chat sockets' close (neither call throws).
    await Promise.all([
      this.deps.streams?.disconnect(session, { allExceptOwner: true }),
      this.kick(sessionId, { type: 'kick', userId: null, reason: 'sharing was turned off' }),
    ]);
  }

  async join(caller: Caller, shareId: string): Promise<JoinedSession> {
    const s = await this.deps.repo.findByShareId(shareId);
    if (!s || s.ended_at) throw new NotFoundError('this share link is not valid (any more)');
    let role: SessionRole = 'owner';
    if (s.user_id !== caller.userId) {
      const ownerSettings = s.user_id ? await this.deps.settings.forUser(s.user_id) : null;
      role = ownerSettings?.shared_session_full_control ? 'collaborator' : 'viewer';
      const before = await this.deps.repo.upsertParticipant(s.id, caller.userId, role);
      // The grant of a stream already open carries the old role (a collaborator's input would
      // still pass): close it so the page comes back with the new one.
      if (before && before !== role)
        await this.deps.streams?.disconnect(s, { userId: caller.userId, reconnect: 'role_changed' });
      await this.deps.bus
        .appendChat(s.id, {
          id: newId(),
          kind: 'system',
          userId: caller.userId,
          username: caller.username,
          text: `${caller.username} joined as ${role}`,
          at: this.deps.clock.now().toISOString(),
        })
        .catch(() => undefined);
    }
    return { session: await this.deps.sessionService.view(s.id), role };
  }

  async participants(caller: Caller, sessionId: string): Promise<ParticipantView[]> {
    const role = await this.roleOf(caller, sessionId);
    if (!role) throw new NotFoundError(`no session ${sessionId}`);
    return (await this.deps.repo.participants(sessionId)).map((p) => ({
      userId: p.user_id,
      username: p.username,
      role: p.role,
      joinedAt: p.joined_at.toISOString(),
    }));
  }

  async removeParticipant(caller: Caller, sessionId: string, userId: string): Promise<void> {
    const session = await this.ownedLive(caller, sessionId, true);
    if (!(await this.deps.repo.removeParticipant(sessionId, userId)))
      throw new NotFoundError(`user ${userId} is not in this session`);
    await Promise.all([
      this.deps.streams?.disconnect(session, { userId }),
      this.kick(sessionId, { type: 'kick', userId, reason: 'removed by the owner' }),
    ]);
  }

  /**
   * The session as its page shows it, to the owner, a participant or an admin. Unlike roleOf, the
   * owner (and an admin) still sees an ended session (its page says why it ended); a participant
   * does not, as their access ended with it.
   */
  async access(caller: Caller, sessionId: string): Promise<SessionAccess> {
    const s = await this.deps.sessions.find(sessionId);
    if (!s) throw new NotFoundError(`no session ${sessionId}`);
    const role = await sessionRole(caller, s, () => this.participantRole(sessionId, caller.userId), {
      ended: 'owner-and-admin',
    });
    if (!role) throw new NotFoundError(`no session ${sessionId}`);
    // The same rule as enable: the owner (or an admin) of a live, non-staged session whose owner's
    // groups allow sharing.
    const mayShare =
      mayManage(caller, s) &&
      !s.ended_at &&
      s.user_id !== null &&
      (await this.deps.settings.forUser(s.user_id)).allow_sharing;
    return { session: await this.deps.sessionService.view(sessionId), role, mayShare };
  }

  /** Owner, participant (while the share is on), admin as viewer, or null. */
  async roleOf(caller: Caller, sessionId: string): Promise<SessionRole | null> {
    const standing = await this.standing(caller, sessionId);
    return standing === 'ended' ? null : standing;
  }

  /** roleOf, telling an ended session ('ended') apart from no access (null). */
  async standing(caller: Caller, sessionId: string): Promise<SessionRole | 'ended' | null> {
    const s = await this.deps.sessions.find(sessionId);
    if (!s) return null;
    if (s.ended_at) return 'ended';
    return sessionRole(caller, s, () => this.participantRole(sessionId, caller.userId));
  }

  participantRole(sessionId: string, userId: string): Promise<'viewer' | 'collaborator' | null> {
    return this.deps.repo.participantRole(sessionId, userId);
  }

  /**
   * A user was locked or disabled (their sign-ins are gone already, so no new stream opens):
   * closes the streams and chat sockets they still hold, on their own sessions and on those they
   * joined. Their sessions go on; an admin decides about those. Returns how many streams closed.
   */
  async disconnectUser(userId: string): Promise<number> {
    const sessions = await this.deps.repo.liveSessionsOf(userId);
    const closed = await Promise.all(
      sessions.map(async (session) => {
        const [n] = await Promise.all([
          this.deps.streams?.disconnect(session, { userId }),
          this.kick(session.id, { type: 'kick', userId, reason: 'your account was locked or disabled' }),
        ]);
        return n ?? 0;
      }),
    );
    return closed.reduce((a, b) => a + b, 0);
  }

  /**
   * Sign-ins of a user ended (sign-out: `signIn`; sign-out everywhere: neither; a password change:
   * all but `exceptSignIn`): the streams they opened close with 4003, so the page reconnects, is
   * refused and shows the sign-in page. Returns how many closed.
   */
  async signedOut(userId: string, which: { signIn?: string; exceptSignIn?: string } = {}): Promise<number> {
    const sessions = await this.deps.repo.liveSessionsOf(userId);
    const event: BusEvent = {
      type: 'signed-out',
      userId,
      signIn: which.signIn ?? null,
      exceptSignIn: which.exceptSignIn ?? null,
    };
    const closed = await Promise.all(
      sessions.map(async (session) => {
        const [n] = await Promise.all([
          this.deps.streams?.disconnect(session, { userId, ...which, reconnect: 'signed_out' }),
          this.kick(session.id, event),
        ]);
        return n ?? 0;
      }),
    );
    return closed.reduce((a, b) => a + b, 0);
  }

  /** The session ended: its chat and presence go, everyone is disconnected. */
  async sessionEnded(sessionId: string): Promise<void> {
    await this.deps.repo.removeAll(sessionId).catch(() => undefined);
    await this.kick(sessionId, { type: 'end', reason: 'the session ended' });
    await this.deps.bus.clear(sessionId).catch(() => undefined);
  }

  private async kick(sessionId: string, event: BusEvent): Promise<void> {
    await this.deps.bus.publish(sessionId, event).catch(() => undefined);
  }

  private async ownedLive(caller: Caller, sessionId: string, allowEndedShare = false) {
    const s = await this.deps.sessions.find(sessionId);
    if (!s || !mayManage(caller, s)) throw new NotFoundError(`no session ${sessionId}`);
    if (s.ended_at) throw new ConflictError(`session is ${s.state}`);
    if (!allowEndedShare && !['running', 'paused'].includes(s.state))
      throw new ConflictError(`session is ${s.state}`);
    return s;
  }
}
