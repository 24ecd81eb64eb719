import { passwordSchema, usernameSchema } from '@porthole/contracts';
import type { PasswordHasher } from '../../auth/password-hasher.js';
import type { Db } from '../../db/database.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { parse } from '../../http/parse.js';
import { InstallationRepo } from '../../installation/installation-repo.js';
import { newId } from '../../platform/crypto.js';
import { UserRepo } from './user-repo.js';

/** User administration shared by the CLI (`porthole user …`) and, later, the admin API. */
export class UserAdminService {
  private readonly users: UserRepo;
  private readonly installation: InstallationRepo;

  constructor(
    private readonly db: Db,
    private readonly hasher: PasswordHasher,
  ) {
    this.users = new UserRepo(db);
    this.installation = new InstallationRepo(db);
  }

  async create(input: {
    username: string;
    password: string;
    admin?: boolean;
    displayName?: string;
  }): Promise<string> {
    const username = parse(usernameSchema, input.username, 'username');
    const password = parse(passwordSchema, input.password, 'password');
    if (await this.users.findByUsername(username)) throw new ConflictError(`user ${username} already exists`);
    const passwordHash = await this.hasher.hash(password);
    const id = newId();
    try {
      await this.db.transaction().execute(async (tx) => {
        await new UserRepo(tx).insert({ id, username, displayName: input.displayName ?? '', passwordHash });
        const roles = input.admin ? (['all_users', 'administrators'] as const) : (['all_users'] as const);
        for (const role of roles) {
          const groupId = await this.installation.groupIdByRole(tx, role);
          if (groupId) await this.installation.addMember(tx, groupId, id);
        }
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new ConflictError(`user ${username} already exists`);
      throw err;
    }
    return id;
  }

  async resetPassword(username: string, password: string): Promise<void> {
    const checked = parse(passwordSchema, password, 'password');
    const user = await this.users.findByUsername(username);
    if (!user) throw new NotFoundError(`no user ${username}`);
    await this.users.setPassword(user.id, await this.hasher.hash(checked));
  }
}
