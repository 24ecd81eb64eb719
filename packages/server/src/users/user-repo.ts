import { sql } from 'kysely';
import { AuditRepo } from '../audit/audit-repo.js';
import type { Db } from '../db/database.js';
import type { GroupSystemRole } from '../db/schema.js';
import { ConflictError } from '../errors.js';

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

/** A user as the admin area lists it: memberships, admin flag and live session count included. */
export interface AdminUserRow extends UserRow {
  group_ids: string[];
  is_admin: boolean;
  session_count: number;
}

export interface UserPatch {
  username?: string;
  display_name?: string;
  password_hash?: string;
  locked?: boolean;
  disabled?: boolean;
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

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

export class UserRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction with a repo and the audit log bound to it, so a change and
   * its audit entry commit together or not at all.
   */
  transaction<T>(work: (tx: UserRepo, audit: AuditRepo) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new UserRepo(tx), new AuditRepo(tx)));
  }

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

  private adminQuery() {
    return this.db
      .selectFrom('users as u')
      .select(columns.map((c) => `u.${c}` as const))
      .select([
        sql<string[]>`coalesce((select array_agg(m.group_id::text order by m.group_id)
          from group_members m where m.user_id = u.id), '{}')`.as('group_ids'),
        sql<boolean>`exists (select 1 from group_members m join groups g on g.id = m.group_id
          where m.user_id = u.id and coalesce((g.settings->>'administrator')::boolean, false))`.as(
          'is_admin',
        ),
        sql<number>`(select count(*)::int from sessions s
          where s.user_id = u.id and s.ended_at is null)`.as('session_count'),
      ]);
  }

  listAdmin(): Promise<AdminUserRow[]> {
    return this.adminQuery().orderBy(sql`lower(u.username)`).execute();
  }

  findAdmin(id: string): Promise<AdminUserRow | undefined> {
    return this.adminQuery().where('u.id', '=', id).executeTakeFirst();
  }

  async insert(row: {
    id: string;
    username: string;
    displayName: string;
    passwordHash: string;
    locked?: boolean;
    disabled?: boolean;
  }): Promise<void> {
    try {
      await this.db
        .insertInto('users')
        .values({
          id: row.id,
          username: row.username,
          display_name: row.displayName,
          password_hash: row.passwordHash,
          locked: row.locked ?? false,
          disabled: row.disabled ?? false,
          updated_at: new Date(),
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`user ${row.username} already exists`);
      throw err;
    }
  }

  /** Applies the changed columns; false when no such user. A taken username is a ConflictError. */
  async update(id: string, patch: UserPatch): Promise<boolean> {
    try {
      const r = await this.db
        .updateTable('users')
        .set({ ...patch, updated_at: new Date() })
        .where('id', '=', id)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`user ${patch.username ?? ''} already exists`);
      throw err;
    }
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async setPassword(id: string, passwordHash: string): Promise<boolean> {
    return this.update(id, { password_hash: passwordHash });
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

  // Memberships

  async groupIdByRole(role: GroupSystemRole): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('groups')
      .select('id')
      .where('system_role', '=', role)
      .executeTakeFirst();
    return r?.id;
  }

  /** Of `ids`, those naming an existing group. */
  async existingGroupIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('groups')
      .select('id')
      .where('id', 'in', [...ids])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Members of the Administrators group, read under a row lock on that group so two admins
   * removing each other at once cannot both pass the "one must remain" check.
   */
  async lockAdministrators(): Promise<{ groupId: string; memberIds: Set<string> } | undefined> {
    const g = await this.db
      .selectFrom('groups')
      .select('id')
      .where('system_role', '=', 'administrators')
      .forUpdate()
      .executeTakeFirst();
    if (!g) return undefined;
    const rows = await this.db
      .selectFrom('group_members')
      .select('user_id')
      .where('group_id', '=', g.id)
      .execute();
    return { groupId: g.id, memberIds: new Set(rows.map((r) => r.user_id)) };
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('group_members')
      .select('group_id')
      .where('user_id', '=', userId)
      .execute();
    return rows.map((r) => r.group_id);
  }

  /** Makes the user's memberships exactly `groupIds`. */
  async setGroups(userId: string, wanted: readonly string[]): Promise<void> {
    // A repeated id in a request would otherwise hit the primary key twice in one statement.
    const groupIds = [...new Set(wanted)];
    let del = this.db.deleteFrom('group_members').where('user_id', '=', userId);
    if (groupIds.length > 0) del = del.where('group_id', 'not in', [...groupIds]);
    await del.execute();
    if (groupIds.length === 0) return;
    await this.db
      .insertInto('group_members')
      .values(groupIds.map((group_id) => ({ group_id, user_id: userId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  // Side effects on the user's other rows

  /** Signs the user out everywhere, except the browser session `keep` (an admin's own password change). */
  async revokeSignIns(userId: string, keep?: Buffer): Promise<void> {
    let q = this.db.deleteFrom('auth_sessions').where('user_id', '=', userId);
    if (keep) q = q.where('token_hash', '!=', keep);
    await q.execute();
  }

  /**
   * Marks the user's live sessions `deleting` (with an event each) so the session service tears
   * their containers down; returns the ids of all their live sessions.
   */
  async markSessionsDeleting(userId: string, reason: string, now: Date): Promise<string[]> {
    const rows = await this.db
      .updateTable('sessions')
      .set({ state: 'deleting', state_reason: reason, updated_at: now })
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .where('state', '!=', 'deleting')
      .returning('id')
      .execute();
    if (rows.length > 0) {
      await this.db
        .insertInto('session_events')
        .values(rows.map((r) => ({ session_id: r.id, state: 'deleting', reason, at: now })))
        .execute();
    }
    const live = await this.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .execute();
    return live.map((r) => r.id);
  }
}
