import type { Db } from '../db/database.js';

export interface OneTimeLoginRow {
  user_id: string;
  session_id: string | null;
}

export class OneTimeLoginRepo {
  constructor(private readonly db: Db) {}

  async insert(row: {
    tokenHash: Buffer;
    userId: string;
    sessionId: string | null;
    apiKeyId: string | null;
    now: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.db
      .insertInto('one_time_logins')
      .values({
        token_hash: row.tokenHash,
        user_id: row.userId,
        session_id: row.sessionId,
        api_key_id: row.apiKeyId,
        created_at: row.now,
        expires_at: row.expiresAt,
      })
      .execute();
  }

  /** Takes the link out of the table, so two browsers racing for it cannot both get it. */
  consume(tokenHash: Buffer, now: Date): Promise<OneTimeLoginRow | undefined> {
    return this.db
      .deleteFrom('one_time_logins')
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now)
      .returning(['user_id', 'session_id'])
      .executeTakeFirst();
  }

  async deleteExpired(now: Date): Promise<number> {
    const r = await this.db.deleteFrom('one_time_logins').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
