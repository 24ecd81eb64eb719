import { sql } from 'kysely';
import { AuditRepo } from '../audit/audit-repo.js';
import type { Db } from '../db/database.js';

export interface StagingRow {
  id: string;
  zone_id: string;
  image_id: string;
  desired_count: number;
  expiration_seconds: number;
  created_at: Date;
  ready_count: number;
  starting_count: number;
}

export class StagingRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction with a repo and the audit log bound to it, so a change and
   * its audit entry commit together or not at all.
   */
  transaction<T>(work: (tx: StagingRepo, audit: AuditRepo) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new StagingRepo(tx), new AuditRepo(tx)));
  }

  private base() {
    return this.db
      .selectFrom('staging_configs as c')
      .selectAll('c')
      .select([
        sql<number>`(select count(*)::int from sessions s where s.staging_id = c.id and s.user_id is null and s.ended_at is null and s.state = 'running')`.as(
          'ready_count',
        ),
        sql<number>`(select count(*)::int from sessions s where s.staging_id = c.id and s.user_id is null and s.ended_at is null and s.state in ('requested','provisioning','starting'))`.as(
          'starting_count',
        ),
      ]);
  }

  list(): Promise<StagingRow[]> {
    return this.base().orderBy('c.created_at').execute();
  }

  find(id: string): Promise<StagingRow | undefined> {
    return this.base().where('c.id', '=', id).executeTakeFirst();
  }

  async insert(row: {
    id: string;
    zoneId: string;
    imageId: string;
    desiredCount: number;
    expirationSeconds: number;
  }) {
    await this.db
      .insertInto('staging_configs')
      .values({
        id: row.id,
        zone_id: row.zoneId,
        image_id: row.imageId,
        desired_count: row.desiredCount,
        expiration_seconds: row.expirationSeconds,
      })
      .execute();
  }

  async update(
    id: string,
    patch: Partial<{ zone_id: string; image_id: string; desired_count: number; expiration_seconds: number }>,
  ): Promise<boolean> {
    if (Object.keys(patch).length === 0) return (await this.find(id)) !== undefined;
    const r = await this.db.updateTable('staging_configs').set(patch).where('id', '=', id).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('staging_configs').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** Unassigned standby sessions of a pool, oldest first. */
  standby(stagingId: string) {
    return this.db
      .selectFrom('sessions')
      .select(['id', 'state', 'created_at'])
      .where('staging_id', '=', stagingId)
      .where('user_id', 'is', null)
      .where('ended_at', 'is', null)
      .orderBy('created_at')
      .execute();
  }

  /** Standby sessions whose pool was deleted (staging_id nulled) or that outlived their pool's lifetime. */
  orphans() {
    return this.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', 'is', null)
      .where('staging_id', 'is', null)
      .where('ended_at', 'is', null)
      .execute();
  }

  async zoneExists(id: string): Promise<boolean> {
    return (
      (await this.db.selectFrom('zones').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
    );
  }

  async imageExists(id: string): Promise<boolean> {
    return (
      (await this.db.selectFrom('images').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
    );
  }
}
