import type { AgentDisconnect } from '@porthole/contracts';
import type { AgentAddress, AgentClient } from '../agents/agent-client.js';

export interface StreamDisconnector {
  /** Closes open streams of `session` on its agent; the count, or null when the agent did not answer. */
  disconnect(
    session: { id: string; agent_id: string | null },
    target: AgentDisconnect,
  ): Promise<number | null>;
}

export interface DisconnectorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Asks a session's agent to close the streams a kick or a revoke took away (the agent checks a
 * grant only when a stream opens). By the time this runs Postgres already refuses every new
 * stream, so an agent that cannot be reached is not an error for the owner: the disconnect is
 * kept (`pending`) and handed to the agent with its next check-in.
 */
export class AgentStreamDisconnector implements StreamDisconnector {
  constructor(
    private readonly deps: {
      /** The agent repository (only the address is needed). */
      agents: { find(id: string): Promise<AgentAddress | undefined> };
      client: Pick<AgentClient, 'disconnect'>;
      /** Where a disconnect the agent did not take waits for its next check-in. */
      pending?: {
        add(agentId: string, sessionId: string, target: AgentDisconnect, before: Date): Promise<void>;
      };
      clock?: { now(): Date };
      log: DisconnectorLog;
    },
  ) {}

  async disconnect(
    session: { id: string; agent_id: string | null },
    target: AgentDisconnect,
  ): Promise<number | null> {
    const log = { sessionId: session.id, agentId: session.agent_id, ...target };
    // Taken before the call: a grant issued after it already reflects the change.
    const before = this.deps.clock?.now() ?? new Date();
    try {
      const agent = session.agent_id ? await this.deps.agents.find(session.agent_id) : undefined;
      if (!agent) return 0;
      const { closed } = await this.deps.client.disconnect(agent, session.id, target);
      if (closed > 0) this.deps.log.info({ ...log, closed }, 'closed open streams');
      return closed;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const kept = await this.keep(session, target, before);
      this.deps.log.warn(
        { ...log, err: message, kept },
        kept
          ? 'could not close open streams on the agent; it gets the disconnect with its next check-in'
          : 'could not close open streams on the agent (new ones are refused already)',
      );
      return null;
    }
  }

  private async keep(
    session: { id: string; agent_id: string | null },
    target: AgentDisconnect,
    before: Date,
  ): Promise<boolean> {
    if (!this.deps.pending || !session.agent_id) return false;
    try {
      await this.deps.pending.add(session.agent_id, session.id, target, before);
      return true;
    } catch {
      return false;
    }
  }
}
