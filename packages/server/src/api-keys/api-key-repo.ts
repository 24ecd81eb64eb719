import type { Selectable } from 'kysely';
import { AuditRepo } from '../audit/audit-repo.js';
import type { Db } from '../db/database.js';
import type { ApiKeysTable } from '../db/schema.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export interface ApiKeyFields {
  name: string;
  permissions: string[];
  read_only: boolean;
  expires_at: Date | null;
}

export class ApiKeyRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction with a repo and the audit log bound to it, so a change and
   * its audit entry commit together or not at all.
   */
  transaction<T>(work: (tx: ApiKeyRepo, audit: AuditRepo) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new ApiKeyRepo(tx), new AuditRepo(tx)));
  }

  list(): Promise<ApiKeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  find(id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByKey(apiKey: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('api_key', '=', apiKey).executeTakeFirst();
  }

  async insert(row: {
    id: string;
    apiKey: string;
    secretHash: Buffer;
    createdBy: string | null;
    now: Date;
    fields: ApiKeyFields;
  }): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: row.id,
        api_key: row.apiKey,
        secret_hash: row.secretHash,
        created_by: row.createdBy,
        created_at: row.now,
        updated_at: row.now,
        ...row.fields,
      })
      .execute();
  }

  /** False when no such key. */
  async update(id: string, fields: Partial<ApiKeyFields>, now: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ ...fields, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
