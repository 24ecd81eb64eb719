import { type GroupSettings, groupSettingNames, groupSettingsSchema } from '@porthole/contracts';
import { sql } from 'kysely';
import { AuditRepo } from '../audit/audit-repo.js';
import type { Db } from '../db/database.js';
import type { GroupSystemRole } from '../db/schema.js';
import { ConflictError } from '../errors.js';

export interface GroupRow {
  id: string;
  name: string;
  description: string;
  priority: number;
  settings: GroupSettings;
  system_role: GroupSystemRole | null;
  created_at: Date;
  member_ids: string[];
  image_ids: string[];
}

export interface GroupPatch {
  name?: string;
  description?: string;
  priority?: number;
  settings?: GroupSettings;
}

/**
 * Settings as stored may predate the current catalogue (a setting renamed or its range narrowed):
 * keep only values the catalogue still accepts, so reads never fail and old values fall back to
 * the defaults.
 */
export function sanitizeSettings(raw: unknown): GroupSettings {
  if (typeof raw !== 'object' || raw === null) return {};
  const source = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name of groupSettingNames) {
    if (source[name] === undefined) continue;
    if (groupSettingsSchema.shape[name].safeParse(source[name]).success) out[name] = source[name];
  }
  return out as GroupSettings;
}

function nameClash(err: unknown, name: string | undefined): never {
  if ((err as { code?: string }).code === '23505') throw new ConflictError(`a group named ${name} exists`);
  throw err;
}

export class GroupRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction with a repo and the audit log bound to it, so a change and
   * its audit entry commit together or not at all.
   */
  transaction<T>(work: (tx: GroupRepo, audit: AuditRepo) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new GroupRepo(tx), new AuditRepo(tx)));
  }

  private query() {
    return this.db
      .selectFrom('groups as g')
      .select([
        'g.id',
        'g.name',
        'g.description',
        'g.priority',
        'g.settings',
        'g.system_role',
        'g.created_at',
      ])
      .select([
        sql<string[]>`coalesce((select array_agg(m.user_id::text order by m.user_id)
          from group_members m where m.group_id = g.id), '{}')`.as('member_ids'),
        sql<string[]>`coalesce((select array_agg(gi.image_id::text order by gi.image_id)
          from group_images gi where gi.group_id = g.id), '{}')`.as('image_ids'),
      ]);
  }

  async list(): Promise<GroupRow[]> {
    const rows = await this.query().orderBy('g.priority').orderBy(sql`lower(g.name)`).execute();
    return rows.map((r) => ({ ...r, settings: sanitizeSettings(r.settings) }));
  }

  /** With `lock`, the group row stays locked until the transaction ends. */
  async find(id: string, lock = false): Promise<GroupRow | undefined> {
    let q = this.query().where('g.id', '=', id);
    if (lock) q = q.forUpdate('g');
    const r = await q.executeTakeFirst();
    return r && { ...r, settings: sanitizeSettings(r.settings) };
  }

  async insert(row: {
    id: string;
    name: string;
    description: string;
    priority: number;
    settings: GroupSettings;
  }): Promise<void> {
    try {
      await this.db
        .insertInto('groups')
        .values({
          id: row.id,
          name: row.name,
          description: row.description,
          priority: row.priority,
          settings: JSON.stringify(row.settings),
          system_role: null,
          updated_at: new Date(),
        })
        .execute();
    } catch (err) {
      nameClash(err, row.name);
    }
  }

  async update(id: string, patch: GroupPatch): Promise<void> {
    const { settings, ...rest } = patch;
    try {
      await this.db
        .updateTable('groups')
        .set({
          ...rest,
          ...(settings ? { settings: JSON.stringify(settings) } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .execute();
    } catch (err) {
      nameClash(err, patch.name);
    }
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('groups').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async setMembers(groupId: string, wanted: readonly string[]): Promise<void> {
    // A repeated id in a request would otherwise hit the primary key twice in one statement.
    const userIds = [...new Set(wanted)];
    let del = this.db.deleteFrom('group_members').where('group_id', '=', groupId);
    if (userIds.length > 0) del = del.where('user_id', 'not in', [...userIds]);
    await del.execute();
    if (userIds.length === 0) return;
    await this.db
      .insertInto('group_members')
      .values(userIds.map((user_id) => ({ group_id: groupId, user_id })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async setImages(groupId: string, wanted: readonly string[]): Promise<void> {
    // A repeated id in a request would otherwise hit the primary key twice in one statement.
    const imageIds = [...new Set(wanted)];
    let del = this.db.deleteFrom('group_images').where('group_id', '=', groupId);
    if (imageIds.length > 0) del = del.where('image_id', 'not in', [...imageIds]);
    await del.execute();
    if (imageIds.length === 0) return;
    await this.db
      .insertInto('group_images')
      .values(imageIds.map((image_id) => ({ group_id: groupId, image_id })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async existingUserIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('users')
      .select('id')
      .where('id', 'in', [...ids])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  async existingImageIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('images')
      .select('id')
      .where('id', 'in', [...ids])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** The groups a user belongs to, as settings resolution needs them. */
  async settingsOfUser(
    userId: string,
  ): Promise<Array<{ name: string; priority: number; settings: GroupSettings }>> {
    const rows = await this.db
      .selectFrom('groups as g')
      .innerJoin('group_members as m', 'm.group_id', 'g.id')
      .select(['g.name', 'g.priority', 'g.settings'])
      .where('m.user_id', '=', userId)
      .execute();
    return rows.map((r) => ({ name: r.name, priority: r.priority, settings: sanitizeSettings(r.settings) }));
  }

  /** Images allowed to any of the user's groups. */
  async imageIdsOfUser(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('group_images as gi')
      .innerJoin('group_members as m', 'm.group_id', 'gi.group_id')
      .select('gi.image_id')
      .distinct()
      .where('m.user_id', '=', userId)
      .execute();
    return rows.map((r) => r.image_id);
  }

  /** Repairs All Users after users were added behind the API's back (older versions, manual SQL). */
  async addEveryoneToAllUsers(): Promise<number> {
    const r = await sql<{ n: number }>`
      insert into group_members (group_id, user_id)
      select g.id, u.id from groups g cross join users u
      where g.system_role = 'all_users'
      on conflict do nothing`.execute(this.db);
    return Number(r.numAffectedRows ?? 0n);
  }
}
