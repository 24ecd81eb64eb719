import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { GroupSystemRole } from '../db/schema.js';

export class InstallationRepo {
  constructor(private readonly db: Db) {}

  async getId(): Promise<string | undefined> {
    const row = await this.db.selectFrom('installation').select('id').executeTakeFirst();
    return row?.id;
  }

  /**
   * Runs `first` once per database, under a transaction-scoped advisory lock, so two servers
   * starting together on one Postgres create one installation, not two.
   */
  async initialiseOnce<T>(
    newId: string,
    first: (tx: Db) => Promise<T>,
  ): Promise<{ id: string; created?: T }> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext('porthole.installation'))`.execute(tx);
      const existing = await tx.selectFrom('installation').select('id').executeTakeFirst();
      if (existing) return { id: existing.id };
      await tx.insertInto('installation').values({ id: newId }).execute();
      return { id: newId, created: await first(tx) };
    });
  }

  async insertGroup(
    tx: Db,
    g: {
      id: string;
      name: string;
      description: string;
      priority: number;
      role: GroupSystemRole;
      settings: object;
    },
  ): Promise<void> {
    await tx
      .insertInto('groups')
      .values({
        id: g.id,
        name: g.name,
        description: g.description,
        priority: g.priority,
        system_role: g.role,
        settings: JSON.stringify(g.settings),
        updated_at: new Date(),
      })
      .execute();
  }

  async addMember(tx: Db, groupId: string, userId: string): Promise<void> {
    await tx.insertInto('group_members').values({ group_id: groupId, user_id: userId }).execute();
  }

  async groupIdByRole(tx: Db, role: GroupSystemRole): Promise<string | undefined> {
    const r = await tx.selectFrom('groups').select('id').where('system_role', '=', role).executeTakeFirst();
    return r?.id;
  }
}
