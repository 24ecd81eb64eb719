import type { SessionRole } from '@porthole/contracts';
import type { GrantIssuer } from '@porthole/stream';
import type { AgentRepo } from '../agents/agent-repo.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
} from '../errors.js';
import type { Caller } from '../http/caller.js';
import type { Clock } from '../platform/clock.js';
import { signInId } from '../platform/crypto.js';
import { type ParticipantRole, sessionRole } from '../policies/session-access.js';
import type { SessionRepo } from '../sessions/session-repo.js';

export interface StreamAuthorization {
  sessionId: string;
  agentId: string;
  agentUrl: string;
  role: SessionRole;
  /** Signed, bound to agent + session + role, valid for a few seconds: only the connect uses it. */
  grant: string;
  grantPayload: {
    aud: string;
    sid: string;
    act: 'stream';
    role: SessionRole;
    sub: string;
    iatMs: number;
    sin?: string;
    exp: number;
  };
}

const GRANT_TTL_SECONDS = 30;

/** Decides whether a browser may see a session's stream, and as what. Both proxies ask this. */
export class StreamAuthService {
  constructor(
    private readonly deps: {
      sessions: Pick<SessionRepo, 'find'>;
      agents: Pick<AgentRepo, 'find'>;
      signer: GrantIssuer;
      /** Share participants and their roles. */
      participants: { participantRole(sessionId: string, userId: string): Promise<ParticipantRole | null> };
      clock: Clock;
    },
  ) {}

  async authorize(caller: Caller | null, sessionId: string): Promise<StreamAuthorization> {
    if (!caller) throw new UnauthorizedError('sign in first');
    // API keys act for no user: nobody to stream as.
    if (caller.apiKey) throw new ForbiddenError('API keys cannot open session streams');
    const session = await this.deps.sessions.find(sessionId);
    if (!session) throw new NotFoundError(`no session ${sessionId}`);
    const role = await sessionRole(caller, session, () =>
      this.deps.participants.participantRole(sessionId, caller.userId),
    );
    // Other people's sessions (and ended ones) look absent rather than forbidden.
    if (!role) throw new NotFoundError(`no session ${sessionId}`);
    if (session.state !== 'running') throw new ConflictError(`session is ${session.state}`);
    const agent = session.agent_id ? await this.deps.agents.find(session.agent_id) : undefined;
    if (!agent) throw new UnavailableError('the session has no agent');
    const now = this.deps.clock.now().getTime();
    const grantPayload = {
      aud: agent.id,
      sid: sessionId,
      act: 'stream' as const,
      role,
      // The agent files the stream under this user, so a kick or a revoke can close it later.
      sub: caller.userId,
      // A disconnect the agent gets late closes only streams authorised before it (pending disconnects).
      iatMs: now,
      // The browser sign-in behind it, so signing out closes this stream (no token leaves here).
      ...(caller.sessionTokenHash ? { sin: signInId(caller.sessionTokenHash) } : {}),
      exp: Math.floor(now / 1000) + GRANT_TTL_SECONDS,
    };
    return {
      sessionId,
      agentId: agent.id,
      agentUrl: agent.url,
      role,
      grant: this.deps.signer.sign(grantPayload),
      grantPayload,
    };
  }
}
