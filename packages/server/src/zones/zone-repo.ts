import { sql } from 'kysely';
import { AuditRepo } from '../audit/audit-repo.js';
import type { Db } from '../db/database.js';
import { ConflictError } from '../errors.js';

export interface ZoneRow {
  id: string;
  name: string;
  is_default: boolean;
  search_alternate_zones: boolean;
  created_at: Date;
  agent_count: number;
}

function nameClash(err: unknown, name: string | undefined): never {
  if ((err as { code?: string }).code === '23505') throw new ConflictError(`a zone named ${name} exists`);
  throw err;
}

export const DEFAULT_ZONE_NAME = 'default';

export class ZoneRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction with a repo and the audit log bound to it, so a change and
   * its audit entry commit together or not at all.
   */
  transaction<T>(work: (tx: ZoneRepo, audit: AuditRepo) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new ZoneRepo(tx), new AuditRepo(tx)));
  }

  private query() {
    return this.db
      .selectFrom('zones as z')
      .select(['z.id', 'z.name', 'z.is_default', 'z.search_alternate_zones', 'z.created_at'])
      .select(sql<number>`(select count(*)::int from agents a where a.zone_id = z.id)`.as('agent_count'));
  }

  list(): Promise<ZoneRow[]> {
    return this.query().orderBy('z.is_default', 'desc').orderBy(sql`lower(z.name)`).execute();
  }

  /** With `lock`, the zone row stays locked until the transaction ends (agents joining wait). */
  find(id: string, lock = false): Promise<ZoneRow | undefined> {
    let q = this.query().where('z.id', '=', id);
    if (lock) q = q.forUpdate('z');
    return q.executeTakeFirst();
  }

  async exists(id: string): Promise<boolean> {
    return (
      (await this.db.selectFrom('zones').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
    );
  }

  async insert(row: { id: string; name: string; searchAlternateZones: boolean }): Promise<void> {
    try {
      await this.db
        .insertInto('zones')
        .values({ id: row.id, name: row.name, search_alternate_zones: row.searchAlternateZones })
        .execute();
    } catch (err) {
      nameClash(err, row.name);
    }
  }

  async update(id: string, patch: { name?: string; search_alternate_zones?: boolean }): Promise<boolean> {
    if (Object.keys(patch).length === 0) return this.exists(id);
    try {
      const r = await this.db.updateTable('zones').set(patch).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    } catch (err) {
      return nameClash(err, patch.name);
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await this.db.deleteFrom('zones').where('id', '=', id).execute();
    } catch (err) {
      // An agent registering into the zone between the check and the delete.
      if ((err as { code?: string }).code === '23503') throw new ConflictError('the zone is still in use');
      throw err;
    }
  }

  /**
   * Makes sure a default zone exists (first start, or an older database). Safe when several
   * servers start at once: the partial unique index admits one default and the loser's insert
   * does nothing.
   */
  async ensureDefault(id: string): Promise<boolean> {
    const has = await this.db
      .selectFrom('zones')
      .select('id')
      .where('is_default', '=', true)
      .executeTakeFirst();
    if (has) return false;
    const r = await sql`
      insert into zones (id, name, is_default) values (${id}, ${DEFAULT_ZONE_NAME}, true)
      on conflict do nothing`.execute(this.db);
    if (Number(r.numAffectedRows ?? 0n) > 0) return true;
    // A zone already holds the name but none is default: promote it rather than fail.
    await this.db
      .updateTable('zones')
      .set({ is_default: true })
      .where(sql<string>`lower(name)`, '=', DEFAULT_ZONE_NAME)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('zones').select('id').where('is_default', '=', true))),
      )
      .execute();
    return false;
  }
}
