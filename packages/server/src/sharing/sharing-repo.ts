import type { Db } from '../db/database.js';

export interface ParticipantRow {
  user_id: string;
  username: string;
  role: 'viewer' | 'collaborator';
  joined_at: Date;
}

export class SharingRepo {
  constructor(private readonly db: Db) {}

  async setShareId(sessionId: string, shareId: string | null): Promise<void> {
    await this.db.updateTable('sessions').set({ share_id: shareId }).where('id', '=', sessionId).execute();
  }

  findByShareId(shareId: string) {
    return this.db
      .selectFrom('sessions')
      .select(['id', 'user_id', 'agent_id', 'state', 'ended_at', 'share_id'])
      .where('share_id', '=', shareId)
      .executeTakeFirst();
  }

  /** Adds the participant or sets their role; returns the role they had before (null: new). */
  upsertParticipant(
    sessionId: string,
    userId: string,
    role: 'viewer' | 'collaborator',
  ): Promise<'viewer' | 'collaborator' | null> {
    return this.db.transaction().execute(async (tx) => {
      // Locked, so two joins of the same user at once agree on what changed.
      const before = await tx
        .selectFrom('session_participants')
        .select('role')
        .where('session_id', '=', sessionId)
        .where('user_id', '=', userId)
        .forUpdate()
        .executeTakeFirst();
      await tx
        .insertInto('session_participants')
        .values({ session_id: sessionId, user_id: userId, role })
        .onConflict((oc) => oc.columns(['session_id', 'user_id']).doUpdateSet({ role }))
        .execute();
      return before?.role ?? null;
    });
  }

  participants(sessionId: string): Promise<ParticipantRow[]> {
    return this.db
      .selectFrom('session_participants as p')
      .innerJoin('users as u', 'u.id', 'p.user_id')
      .select(['p.user_id', 'u.username', 'p.role', 'p.joined_at'])
      .where('p.session_id', '=', sessionId)
      .orderBy('p.joined_at')
      .execute();
  }

  async participantRole(sessionId: string, userId: string): Promise<'viewer' | 'collaborator' | null> {
    const row = await this.db
      .selectFrom('session_participants as p')
      .innerJoin('sessions as s', 's.id', 'p.session_id')
      .select('p.role')
      .where('p.session_id', '=', sessionId)
      .where('p.user_id', '=', userId)
      .where('s.share_id', 'is not', null)
      .where('s.ended_at', 'is', null)
      .executeTakeFirst();
    return row?.role ?? null;
  }

  async removeParticipant(sessionId: string, userId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('session_participants')
      .where('session_id', '=', sessionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** Live sessions a user may have streams open on: their own, and those they joined. */
  liveSessionsOf(userId: string): Promise<Array<{ id: string; agent_id: string | null }>> {
    return this.db
      .selectFrom('sessions as s')
      .select(['s.id', 's.agent_id'])
      .where('s.ended_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('s.user_id', '=', userId),
          eb.exists(
            eb
              .selectFrom('session_participants as p')
              .select('p.session_id')
              .whereRef('p.session_id', '=', 's.id')
              .where('p.user_id', '=', userId),
          ),
        ]),
      )
      .execute();
  }

  async removeAll(sessionId: string): Promise<void> {
    await this.db.deleteFrom('session_participants').where('session_id', '=', sessionId).execute();
  }
}
