import type { Db } from '../db/database.js';
import { defaultImages } from '../images/default-images.js';
import { newId } from '../platform/crypto.js';
import { InstallationRepo } from './installation-repo.js';

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
  // Servers starting together on one database take turns here (one transaction, one lock).
  return new InstallationRepo(db).withDefaultsLock(async ({ zones, groups, users, images }) => {
    const zoneCreated = await zones.ensureDefault(newId());
    await groups.addEveryoneToAllUsers();
    const allUsers = await users.groupIdByRole('all_users');
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
