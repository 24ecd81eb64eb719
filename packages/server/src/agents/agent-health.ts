import type { Clock } from '../platform/clock.js';
import type { AgentRepo, AgentRow } from './agent-repo.js';

/** The longest an agent waits between check-in attempts while the server is unreachable. */
const AGENT_MAX_BACKOFF_MS = 30_000;

/**
 * What health needs of the sessions: that an offline agent's settled sessions read `lost` until
 * it returns (the check-in reconciler brings them back). Declared here so agents/ does not import
 * sessions/; the session repository is what the wiring hands in.
 */
export interface LosableSessions {
  /** Moves the agent's running, paused and stopped sessions to `lost`; returns how many moved. */
  markLostOnAgent(agentId: string, reason: string, now: Date): Promise<number>;
}

export interface AgentHealthLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Whether an agent is online, in one place: silent for three check-ins makes it offline (swept by
 * the manager), a check-in makes it online again. Liveness itself is read from `last_checkin_at`
 * (agent-view.ts `isOnline`), so placement and the Servers tab agree with this.
 */
export class AgentHealth {
  private readonly startedAt: Date;

  constructor(
    private readonly deps: {
      agents: Pick<AgentRepo, 'markSilentOffline'>;
      sessions: LosableSessions;
      clock: Clock;
      checkinSeconds: number;
      log: AgentHealthLog;
    },
  ) {
    this.startedAt = deps.clock.now();
  }

  /** Agents that missed three check-ins go offline and their sessions `lost`; returns sessions moved. */
  async sweep(): Promise<number> {
    const { agents, sessions, clock, checkinSeconds, log } = this.deps;
    const now = clock.now();
    const cutoff = new Date(now.getTime() - 3 * checkinSeconds * 1000);
    // Silence while no server listened (a restart) is not the agent's: it is backing off and comes
    // back within its longest backoff. Until every agent had that long to reach this server, only
    // agents seen since it started can be declared offline, so running sessions never flap to lost.
    const settling =
      now.getTime() - this.startedAt.getTime() < 3 * checkinSeconds * 1000 + AGENT_MAX_BACKOFF_MS;
    const offline = await agents.markSilentOffline(cutoff, now, settling ? this.startedAt : undefined);
    let changed = 0;
    for (const agentId of offline) {
      log.warn({ agentId }, 'agent missed three check-ins: offline');
      changed += await sessions.markLostOnAgent(agentId, 'agent offline', now);
    }
    return changed;
  }

  /**
   * An agent checked in (its row already records it): one that was offline is back. Its sessions
   * come back from `lost` through the check-in reconciler, which trusts the agent's report.
   */
  checkedIn(agent: Pick<AgentRow, 'id' | 'offline_since'>): void {
    if (agent.offline_since) this.deps.log.info({ agentId: agent.id }, 'agent is back online');
  }
}
