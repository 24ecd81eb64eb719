import type { Db } from '../db/database.js';

export interface AuthSessionRow {
  user_id: string;
  expires_at: Date;
  last_seen_at: Date;
}

export class AuthSessionRepo {
  constructor(private readonly db: Db) {}

  async insert(row: {
    tokenHash: Buffer;
    userId: string;
    expiresAt: Date;
    address: string | null;
    userAgent: string | null;
  }): Promise<void> {
    await this.db
      .insertInto('auth_sessions')
      .values({
        token_hash: row.tokenHash,
        user_id: row.userId,
        expires_at: row.expiresAt,
        address: row.address,
        user_agent: row.userAgent,
      })
      .execute();
  }

  find(tokenHash: Buffer): Promise<AuthSessionRow | undefined> {
    return this.db
      .selectFrom('auth_sessions')
      .select(['user_id', 'expires_at', 'last_seen_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  async touch(tokenHash: Buffer, at: Date): Promise<void> {
    await this.db
      .updateTable('auth_sessions')
      .set({ last_seen_at: at })
      .where('token_hash', '=', tokenHash)
      .execute();
  }

  /** Deletes one sign-in; returns whose it was (undefined: there was none). */
  async delete(tokenHash: Buffer): Promise<string | undefined> {
    const row = await this.db
      .deleteFrom('auth_sessions')
      .where('token_hash', '=', tokenHash)
      .returning('user_id')
      .executeTakeFirst();
    return row?.user_id;
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.db.deleteFrom('auth_sessions').where('user_id', '=', userId).execute();
  }

  async deleteExpired(now: Date): Promise<number> {
    const r = await this.db.deleteFrom('auth_sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
