import { sql } from 'kysely';
import { AuditRepo } from '../audit/audit-repo.js';
import type { Db } from '../db/database.js';

/** Installation-wide values that every replica must share (registration token, signing key). */
export class SystemSettingsRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction with a repo and the audit log bound to it, so a change and
   * its audit entry commit together or not at all.
   */
  transaction<T>(work: (tx: SystemSettingsRepo, audit: AuditRepo) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new SystemSettingsRepo(tx), new AuditRepo(tx)));
  }

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.db
      .selectFrom('system_settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? (row.value as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.db
      .insertInto('system_settings')
      .values({ key, value: JSON.stringify(value), updated_at: new Date() })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: new Date() }),
      )
      .execute();
  }

  /** Returns the stored value, creating it first when absent; concurrent callers agree on one value. */
  async getOrCreate<T>(key: string, make: () => T): Promise<T> {
    await this.db
      .insertInto('system_settings')
      .values({ key, value: JSON.stringify(make()), updated_at: new Date() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const value = await this.get<T>(key);
    if (value === undefined) throw new Error(`system setting ${key} vanished`);
    return value;
  }

  async updatedAt(key: string): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('system_settings')
      .select(sql<Date>`updated_at`.as('at'))
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.at;
  }
}
