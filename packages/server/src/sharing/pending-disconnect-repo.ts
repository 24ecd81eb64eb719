import type { AgentDisconnect, PendingDisconnect } from '@porthole/contracts';
import type { Db } from '../db/database.js';
import { newId } from '../platform/crypto.js';

/** Disconnects an agent could not be given when they happened, kept until it confirms them. */
export class PendingDisconnectRepo {
  constructor(private readonly db: Db) {}

  async add(agentId: string, sessionId: string, target: AgentDisconnect, before: Date): Promise<void> {
    await this.db
      .insertInto('pending_disconnects')
      .values({
        id: newId(),
        agent_id: agentId,
        session_id: sessionId,
        target: JSON.stringify(target),
        before_at: before,
      })
      .execute();
  }

  /**
   * For an agent's check-in: forgets what it confirmed and what concerns ended sessions (their
   * streams closed with them), and returns the rest, oldest first.
   */
  async exchange(agentId: string, applied: readonly string[]): Promise<PendingDisconnect[]> {
    return this.db.transaction().execute(async (tx) => {
      if (applied.length > 0)
        await tx
          .deleteFrom('pending_disconnects')
          .where('agent_id', '=', agentId)
          .where('id', 'in', [...applied])
          .execute();
      await tx
        .deleteFrom('pending_disconnects')
        .where('agent_id', '=', agentId)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('sessions as s')
              .select('s.id')
              .whereRef('s.id', '=', 'pending_disconnects.session_id')
              .where('s.ended_at', 'is not', null),
          ),
        )
        .execute();
      const rows = await tx
        .selectFrom('pending_disconnects')
        .select(['id', 'session_id', 'target', 'before_at'])
        .where('agent_id', '=', agentId)
        .orderBy('created_at')
        .limit(1000)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        sessionId: r.session_id,
        target: r.target,
        beforeMs: r.before_at.getTime(),
      }));
    });
  }
}
