import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { GroupSystemRole } from '../db/schema.js';
import { GroupRepo } from '../groups/group-repo.js';
import { ImageRepo } from '../images/image-repo.js';
import { UserRepo } from '../users/user-repo.js';
import { ZoneRepo } from '../zones/zone-repo.js';

/** The repositories an installation's defaults touch, bound to one transaction. */
export interface DefaultsUnitOfWork {
  zones: ZoneRepo;
  groups: GroupRepo;
  users: UserRepo;
  images: ImageRepo;
}

export class InstallationRepo {
  constructor(private readonly db: Db) {}

  async getId(): Promise<string | undefined> {
    const row = await this.db.selectFrom('installation').select('id').executeTakeFirst();
    return row?.id;
  }

  /**
   * Runs `first` once per database, under a transaction-scoped advisory lock, so two servers
   * starting together on one Postgres create one installation, not two. `first` gets this
   * repository bound to that transaction: everything it writes commits with the installation row.
   */
  async initialiseOnce<T>(
    newId: string,
    first: (tx: InstallationRepo) => Promise<T>,
  ): Promise<{ id: string; created?: T }> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext('porthole.installation'))`.execute(tx);
      const existing = await tx.selectFrom('installation').select('id').executeTakeFirst();
      if (existing) return { id: existing.id };
      await tx.insertInto('installation').values({ id: newId }).execute();
      return { id: newId, created: await first(new InstallationRepo(tx)) };
    });
  }

  /** Runs `work` in one transaction under the defaults' advisory lock, so concurrent starts take turns. */
  async withDefaultsLock<T>(work: (tx: DefaultsUnitOfWork) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext('porthole.defaults'))`.execute(tx);
      return work({
        zones: new ZoneRepo(tx),
        groups: new GroupRepo(tx),
        users: new UserRepo(tx),
        images: new ImageRepo(tx),
      });
    });
  }

  async insertGroup(g: {
    id: string;
    name: string;
    description: string;
    priority: number;
    role: GroupSystemRole;
    settings: object;
  }): Promise<void> {
    await this.db
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

  async insertUser(u: {
    id: string;
    username: string;
    displayName: string;
    passwordHash: string;
  }): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: u.id,
        username: u.username,
        display_name: u.displayName,
        password_hash: u.passwordHash,
        updated_at: new Date(),
      })
      .execute();
  }

  async addMember(groupId: string, userId: string): Promise<void> {
    await this.db.insertInto('group_members').values({ group_id: groupId, user_id: userId }).execute();
  }
}
