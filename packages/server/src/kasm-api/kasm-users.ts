import type { AdminUserView, GroupView, UserUpdate } from '@porthole/contracts';
import { apiKeyContext } from '../audit/audit-context.js';
import type { AuthService } from '../auth/auth-service.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { GroupService } from '../groups/group-service.js';
import { API_KEY_USER_ID, type ApiKeyIdentity } from '../http/caller.js';
import type { ImageService } from '../images/image-service.js';
import { randomPassword } from '../platform/crypto.js';
import type { UserAdminService } from '../users/user-admin-service.js';
import type { UserRepo } from '../users/user-repo.js';
import { kasmDate, kasmDateOrNull, toKasmId, toKasmImage } from './kasm-format.js';
import type { CreateUserBody, TargetUserRef, UpdateUserBody, UserGroupBody } from './kasm-schemas.js';

export interface KasmUserDeps {
  users: UserAdminService;
  userRepo: Pick<UserRepo, 'findByUsername'>;
  groups: GroupService;
  images: ImageService;
  auth: AuthService;
}

/** The developer API acts as no user: "you cannot delete yourself" never applies to it. */
const ACTOR = { userId: API_KEY_USER_ID };

/** Kasm keeps first and last names; Porthole one display name, split at its first space. */
function names(displayName: string): { first_name: string; last_name: string } {
  const at = displayName.indexOf(' ');
  return at < 0
    ? { first_name: displayName, last_name: '' }
    : { first_name: displayName.slice(0, at), last_name: displayName.slice(at + 1) };
}

function joinNames(first: string | undefined, last: string | undefined): string {
  return [first ?? '', last ?? ''].filter((s) => s.length > 0).join(' ');
}

function toKasmUser(user: AdminUserView, groups: ReadonlyMap<string, GroupView>) {
  return {
    user_id: toKasmId(user.id),
    username: user.username,
    ...names(user.displayName),
    locked: user.locked,
    disabled: user.disabled,
    realm: 'local',
    organization: null,
    phone: null,
    notes: null,
    created: kasmDate(user.createdAt),
    last_session: kasmDateOrNull(user.lastLoginAt),
    groups: user.groupIds.map((id) => ({
      group_id: toKasmId(id),
      name: groups.get(id)?.name ?? '',
    })),
  };
}

/** The user, group and image endpoints of the developer API, on top of the admin services. */
export class KasmUsers {
  constructor(private readonly deps: KasmUserDeps) {}

  private async groupMap(): Promise<Map<string, GroupView>> {
    return new Map((await this.deps.groups.list()).map((g) => [g.id, g]));
  }

  private async view(user: AdminUserView): Promise<object> {
    return { user: toKasmUser(user, await this.groupMap()) };
  }

  async resolve(target: TargetUserRef): Promise<AdminUserView> {
    if (target.user_id !== undefined) {
      return this.deps.users.get(target.user_id).catch((err: unknown) => {
        throw err instanceof NotFoundError
          ? new NotFoundError(`no user ${toKasmId(target.user_id ?? '')}`)
          : err;
      });
    }
    const row = await this.deps.userRepo.findByUsername(target.username ?? '');
    if (!row) throw new NotFoundError(`no user ${target.username ?? ''}`);
    return this.deps.users.get(row.id);
  }

  async list(): Promise<object> {
    const groups = await this.groupMap();
    return { users: (await this.deps.users.list()).map((u) => toKasmUser(u, groups)) };
  }

  async get(target: TargetUserRef): Promise<object> {
    return this.view(await this.resolve(target));
  }

  async create(input: CreateUserBody, key: ApiKeyIdentity): Promise<object> {
    const t = input.target_user;
    const id = await this.deps.users.create(
      {
        username: t.username,
        password: t.password ?? randomPassword(),
        displayName: joinNames(t.first_name, t.last_name),
        ...(t.locked !== undefined ? { locked: t.locked } : {}),
        ...(t.disabled !== undefined ? { disabled: t.disabled } : {}),
      },
      apiKeyContext(key, null),
    );
    return this.view(await this.deps.users.get(id));
  }

  async update(input: UpdateUserBody, key: ApiKeyIdentity): Promise<object> {
    const t = input.target_user;
    const current = await this.resolve({ user_id: t.user_id });
    const patch: UserUpdate = {};
    if (t.username !== undefined) patch.username = t.username;
    if (t.password !== undefined) patch.password = t.password;
    if (t.locked !== undefined) patch.locked = t.locked;
    if (t.disabled !== undefined) patch.disabled = t.disabled;
    if (t.first_name !== undefined || t.last_name !== undefined) {
      const was = names(current.displayName);
      patch.displayName = joinNames(t.first_name ?? was.first_name, t.last_name ?? was.last_name);
    }
    return this.view(await this.deps.users.update(ACTOR, current.id, patch, apiKeyContext(key, null)));
  }

  /** Without `force`, a user with live sessions stays (Kasm's rule); with it they go too. */
  async delete(target: TargetUserRef, force: boolean, key: ApiKeyIdentity): Promise<object> {
    const user = await this.resolve(target);
    if (user.sessionCount > 0 && !force) {
      throw new ConflictError(
        `user ${user.username} has ${user.sessionCount} live kasm(s); pass "force": true to delete them too`,
      );
    }
    await this.deps.users.delete(ACTOR, user.id, apiKeyContext(key, null));
    return {};
  }

  async logout(target: TargetUserRef): Promise<object> {
    const user = await this.resolve(target);
    await this.deps.auth.signOutEverywhere(user.id);
    return {};
  }

  async setGroup(input: UserGroupBody, member: boolean, key: ApiKeyIdentity): Promise<object> {
    const user = await this.resolve({ user_id: input.target_user.user_id });
    const groupId = input.target_group.group_id;
    const group = await this.deps.groups.get(groupId).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new NotFoundError(`no group ${toKasmId(groupId)}`) : err;
    });
    if (!member && group.systemRole === 'all_users') {
      throw new ConflictError('every user belongs to All Users; it cannot be removed');
    }
    const groupIds = member
      ? [...new Set([...user.groupIds, groupId])]
      : user.groupIds.filter((id) => id !== groupId);
    await this.deps.users.update(ACTOR, user.id, { groupIds }, apiKeyContext(key, null));
    return {};
  }

  async images(): Promise<object> {
    return { images: (await this.deps.images.list()).map(toKasmImage) };
  }
}
