import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import { AuditRepo } from '../audit/audit-repo.js';
import type { Db } from '../db/database.js';
import type { ImagesTable } from '../db/schema.js';
import { ConflictError } from '../errors.js';

export type ImageRow = Selectable<ImagesTable> & { group_ids: string[] };

/** Columns an admin may set; JSON columns as values, serialised here. */
export interface ImageFields {
  name: string;
  friendly_name: string;
  description: string;
  docker_image: string;
  cores: number;
  memory_mb: number;
  shm_mb: number;
  gpu_count: number;
  network: string | null;
  zone_id: string | null;
  agent_id: string | null;
  enabled: boolean;
  categories: string[];
  icon: string | null;
  run_config: object;
  exec_config: object;
}

function serialise(fields: ImageFields): Insertable<ImagesTable>;
function serialise(fields: Partial<ImageFields>): Updateable<ImagesTable>;
function serialise(fields: Partial<ImageFields>): Updateable<ImagesTable> {
  const { categories, run_config, exec_config, ...plain } = fields;
  return {
    ...plain,
    ...(categories ? { categories: JSON.stringify(categories) } : {}),
    ...(run_config ? { run_config: JSON.stringify(run_config) } : {}),
    ...(exec_config ? { exec_config: JSON.stringify(exec_config) } : {}),
  };
}

function translate(err: unknown, name: string | undefined): never {
  const code = (err as { code?: string }).code;
  if (code === '23505') throw new ConflictError(`a workspace named ${name} exists`);
  // A zone or agent removed between the existence check and the write.
  if (code === '23503') throw new ConflictError('a referenced zone, agent or group no longer exists');
  throw err;
}

export class ImageRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction with a repo and the audit log bound to it, so a change and
   * its audit entry commit together or not at all.
   */
  transaction<T>(work: (tx: ImageRepo, audit: AuditRepo) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new ImageRepo(tx), new AuditRepo(tx)));
  }

  private query() {
    return this.db
      .selectFrom('images as i')
      .selectAll('i')
      .select(
        sql<string[]>`coalesce((select array_agg(gi.group_id::text order by gi.group_id)
          from group_images gi where gi.image_id = i.id), '{}')`.as('group_ids'),
      );
  }

  list(): Promise<ImageRow[]> {
    return this.query().orderBy(sql`lower(i.friendly_name)`).orderBy('i.name').execute();
  }

  /** With `lock`, the image row stays locked until the transaction ends. */
  find(id: string, lock = false): Promise<ImageRow | undefined> {
    let q = this.query().where('i.id', '=', id);
    if (lock) q = q.forUpdate('i');
    return q.executeTakeFirst();
  }

  /** Enabled images that any of the user's groups allows: the launcher's list. */
  enabledForUser(userId: string): Promise<ImageRow[]> {
    return this.query()
      .where('i.enabled', '=', true)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('group_images as gi')
            .innerJoin('group_members as m', 'm.group_id', 'gi.group_id')
            .select('gi.image_id')
            .whereRef('gi.image_id', '=', 'i.id')
            .where('m.user_id', '=', userId),
        ),
      )
      .orderBy(sql`lower(i.friendly_name)`)
      .orderBy('i.name')
      .execute();
  }

  async insert(id: string, fields: ImageFields): Promise<void> {
    try {
      await this.db
        .insertInto('images')
        .values({ ...serialise(fields), id, updated_at: new Date() })
        .execute();
    } catch (err) {
      translate(err, fields.name);
    }
  }

  /** Inserts unless an image with that name exists; whether it inserted. */
  async insertIfMissing(id: string, fields: ImageFields): Promise<boolean> {
    const r = await this.db
      .insertInto('images')
      .values({ ...serialise(fields), id, updated_at: new Date() })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async update(id: string, fields: Partial<ImageFields>): Promise<boolean> {
    try {
      const r = await this.db
        .updateTable('images')
        .set({ ...serialise(fields), updated_at: new Date() })
        .where('id', '=', id)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      return translate(err, fields.name);
    }
  }

  async setGroups(imageId: string, wanted: readonly string[]): Promise<void> {
    // A repeated id in a request would otherwise hit the primary key twice in one statement.
    const groupIds = [...new Set(wanted)];
    let del = this.db.deleteFrom('group_images').where('image_id', '=', imageId);
    if (groupIds.length > 0) del = del.where('group_id', 'not in', [...groupIds]);
    await del.execute();
    if (groupIds.length === 0) return;
    await this.db
      .insertInto('group_images')
      .values(groupIds.map((group_id) => ({ group_id, image_id: imageId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async liveSessionCount(imageId: string): Promise<number> {
    const r = await this.db
      .selectFrom('sessions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('image_id', '=', imageId)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow();
    return r.n;
  }

  /**
   * Deletes the image with its ended sessions' history (sessions reference their image, and a
   * record of sessions of a workspace that no longer exists has nothing to show).
   */
  async deleteWithHistory(id: string): Promise<void> {
    try {
      await this.db
        .deleteFrom('sessions')
        .where('image_id', '=', id)
        .where('ended_at', 'is not', null)
        .execute();
      await this.db.deleteFrom('images').where('id', '=', id).execute();
    } catch (err) {
      if ((err as { code?: string }).code === '23503')
        throw new ConflictError('the workspace is still in use');
      throw err;
    }
  }

  // References an image may carry

  async zoneExists(id: string): Promise<boolean> {
    return (
      (await this.db.selectFrom('zones').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
    );
  }

  /** The agent's zone, or undefined when there is no such agent. */
  async agentZone(id: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('agents').select('zone_id').where('id', '=', id).executeTakeFirst();
    return r?.zone_id;
  }

  async existingGroupIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('groups')
      .select('id')
      .where('id', 'in', [...ids])
      .execute();
    return new Set(rows.map((r) => r.id));
  }
}
