import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  locked: boolean;
  disabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
}

const columns = [
  'id',
  'username',
  'display_name',
  'password_hash',
  'locked',
  'disabled',
  'created_at',
  'last_login_at',
] as const;

export class UserRepo {
  constructor(private readonly db: Db) {}

  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('users')
      .select(columns)
      .where(sql<string>`lower(username)`, '=', username.toLowerCase())
      .executeTakeFirst();
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
  }

  async insert(row: {
    id: string;
    username: string;
    displayName: string;
    passwordHash: string;
  }): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: row.id,
        username: row.username,
        display_name: row.displayName,
        password_hash: row.passwordHash,
        updated_at: new Date(),
      })
      .execute();
  }

  async setPassword(id: string, passwordHash: string): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: new Date() })
      .where('id', '=', id)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async touchLogin(id: string, at: Date): Promise<void> {
    await this.db.updateTable('users').set({ last_login_at: at }).where('id', '=', id).execute();
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Whether any of the user's groups grants `administrator`. */
  async isAdmin(userId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('group_members as m')
      .innerJoin('groups as g', 'g.id', 'm.group_id')
      .select('g.id')
      .where('m.user_id', '=', userId)
      .where(sql<boolean>`coalesce((g.settings->>'administrator')::boolean, false)`, '=', true)
      .executeTakeFirst();
    return r !== undefined;
  }
}
