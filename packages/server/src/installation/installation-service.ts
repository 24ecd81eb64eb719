import { newId, randomPassword } from '../platform/crypto.js';
import type { PasswordHasher } from '../platform/password-hasher.js';
import type { InstallationRepo } from './installation-repo.js';

export const FIRST_ADMIN_USERNAME = 'admin@porthole.local';

export interface FirstStart {
  adminUsername: string;
  /** Set only when the password was generated (not taken from PORTHOLE_ADMIN_PASSWORD). */
  generatedPassword?: string;
}

export class InstallationService {
  constructor(
    private readonly repo: InstallationRepo,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * On a database's first start: its installation id (never changes afterwards), the system
   * groups and the first administrator. Later starts only read the id.
   */
  async bootstrap(adminPassword?: string): Promise<{ installationId: string; firstStart?: FirstStart }> {
    const password = adminPassword ?? randomPassword();
    const passwordHash = await this.hasher.hash(password);
    const result = await this.repo.initialiseOnce(newId(), async (tx) => {
      const admins = newId();
      const all = newId();
      await tx.insertGroup({
        id: admins,
        name: 'Administrators',
        description: 'Full access to the admin area',
        priority: 1,
        role: 'administrators',
        settings: { administrator: true },
      });
      await tx.insertGroup({
        id: all,
        name: 'All Users',
        description: 'Every user is a member; holds the defaults',
        priority: 1000,
        role: 'all_users',
        settings: {},
      });
      const adminId = newId();
      await tx.insertUser({
        id: adminId,
        username: FIRST_ADMIN_USERNAME,
        displayName: 'Administrator',
        passwordHash,
      });
      await tx.addMember(admins, adminId);
      await tx.addMember(all, adminId);
      const first: FirstStart = { adminUsername: FIRST_ADMIN_USERNAME };
      if (!adminPassword) first.generatedPassword = password;
      return first;
    });
    return result.created
      ? { installationId: result.id, firstStart: result.created }
      : { installationId: result.id };
  }
}
