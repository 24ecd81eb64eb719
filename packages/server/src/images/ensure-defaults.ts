import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { GroupRepo } from '../groups/group-repo.js';
import { newId } from '../platform/crypto.js';
import { UserRepo } from '../users/user-repo.js';
import { ZoneRepo } from '../zones/zone-repo.js';
import { defaultImages } from './default-images.js';
import { ImageRepo } from './image-repo.js';

export interface DefaultsReport {
  zoneCreated: boolean;
  imagesCreated: string[];
}

/**
 * Run on every start: creates what an installation must have (a default zone, the default
 * workspaces allowed to All Users, every user in All Users) when it is missing. Keyed by name, so
 * a default workspace an admin edited or un-allowed stays as the admin left it; one the admin
 * deleted comes back on the next start.
 */
export async function ensureDefaults(db: Db): Promise<DefaultsReport> {
  return db.transaction().execute(async (tx) => {
    // Servers starting together on one database take turns here.
    await sql`select pg_advisory_xact_lock(hashtext('porthole.defaults'))`.execute(tx);
    const zoneCreated = await new ZoneRepo(tx).ensureDefault(newId());
    const groups = new GroupRepo(tx);
    await groups.addEveryoneToAllUsers();
    const allUsers = await new UserRepo(tx).groupIdByRole('all_users');
    const images = new ImageRepo(tx);
    const imagesCreated: string[] = [];
    for (const def of defaultImages) {
      const id = newId();
      if (!(await images.insertIfMissing(id, { ...def, zone_id: null, agent_id: null, network: null })))
        continue;
      imagesCreated.push(def.name);
      if (allUsers) await images.setGroups(id, [allUsers]);
    }
    return { zoneCreated, imagesCreated };
  });
}
