import type { AdminUserView, GroupView } from '@porthole/contracts';
import { apiKeyContext } from '../audit/audit-context.js';
import { ConflictError } from '../errors.js';
import type { EffectiveSettingsService } from '../groups/effective-settings-service.js';
import type { GroupService } from '../groups/group-service.js';
import type { ApiKeyIdentity } from '../http/caller.js';
import { API_KEY_USER_ID } from '../http/caller.js';
import type { UserAdminService } from '../users/user-admin-service.js';
import {
  KASM_USER_ATTRIBUTES,
  type UpdateAttributesBody,
  type UserPermissionBody,
} from './kasm-attribute-schemas.js';
import { toKasmId } from './kasm-format.js';
import type { TargetUserRef } from './kasm-schemas.js';

export interface KasmUserSettingsDeps {
  /** Looks a user up by user_id or username, with Kasm's 404 (KasmUsers.resolve). */
  resolve(target: TargetUserRef): Promise<AdminUserView>;
  users: Pick<UserAdminService, 'update'>;
  groups: Pick<GroupService, 'list'>;
  settings: Pick<EffectiveSettingsService, 'forUser'>;
}

const ACTOR = { userId: API_KEY_USER_ID };

function systemGroup(groups: readonly GroupView[], role: 'administrators' | 'all_users'): GroupView {
  const group = groups.find((g) => g.systemRole === role);
  // Both system groups are created by the first migration and cannot be deleted.
  if (!group) throw new Error(`the ${role} system group is missing`);
  return group;
}

/**
 * Kasm's user attributes and user permissions, mapped onto what Porthole keeps: a user is an
 * administrator or not (membership of a group whose `administrator` setting is true), and every
 * other right is a group setting. docs/api/kasm-compat.md lists each name and its fate.
 */
export class KasmUserSettings {
  constructor(private readonly deps: KasmUserSettingsDeps) {}

  async attributes(target: TargetUserRef): Promise<object> {
    const user = await this.deps.resolve(target);
    const none = Object.fromEntries(KASM_USER_ATTRIBUTES.map((name) => [name, null]));
    return {
      user_attributes: {
        // Porthole keeps no attribute row: the user's id stands for it.
        user_attributes_id: toKasmId(user.id),
        user_id: toKasmId(user.id),
        ...none,
        porthole_settings: await this.deps.settings.forUser(user.id),
      },
    };
  }

  /** The schema has refused every attribute by then, so a valid body changes nothing. */
  async updateAttributes(input: UpdateAttributesBody): Promise<object> {
    await this.deps.resolve({ user_id: input.target_user_attributes.user_id });
    return {};
  }

  async permissions(target: TargetUserRef): Promise<object> {
    const user = await this.deps.resolve(target);
    const groups = await this.deps.groups.list();
    const mine = groups.filter((g) => user.groupIds.includes(g.id));
    const allUsers = systemGroup(groups, 'all_users');
    const entry = (name: string, g: GroupView) => ({
      permission_name: name,
      user_id: toKasmId(user.id),
      group_id: toKasmId(g.id),
      group_name: g.name,
    });
    const permissions = [entry('user', allUsers)];
    if (user.isAdmin) {
      for (const g of mine.filter((g) => g.settings.administrator === true)) {
        permissions.push(entry('global_admin', g));
      }
    }
    return { permissions };
  }

  async addPermission(input: UserPermissionBody, key: ApiKeyIdentity): Promise<object> {
    const user = await this.deps.resolve(input.target_user);
    // `user` is every user's through All Users; granting it again is nothing to do.
    if (input.target_permission.permission_name === 'user' || user.isAdmin) return {};
    const admins = systemGroup(await this.deps.groups.list(), 'administrators');
    await this.deps.users.update(
      ACTOR,
      user.id,
      { groupIds: [...new Set([...user.groupIds, admins.id])] },
      apiKeyContext(key, null),
    );
    return {};
  }

  async removePermission(input: UserPermissionBody, key: ApiKeyIdentity): Promise<object> {
    const user = await this.deps.resolve(input.target_user);
    if (input.target_permission.permission_name === 'user') {
      throw new ConflictError('every user holds user through All Users; it cannot be removed');
    }
    if (!user.isAdmin) return {};
    const groups = await this.deps.groups.list();
    const admins = systemGroup(groups, 'administrators');
    const others = groups.filter(
      (g) => g.id !== admins.id && user.groupIds.includes(g.id) && g.settings.administrator === true,
    );
    if (others.length > 0) {
      // Removing Administrators alone would leave them an administrator: say so, change nothing.
      throw new ConflictError(
        `user ${user.username} is also an administrator through ${others.map((g) => g.name).join(', ')}; ` +
          'remove them from that group or change its administrator setting',
      );
    }
    await this.deps.users.update(
      ACTOR,
      user.id,
      { groupIds: user.groupIds.filter((id) => id !== admins.id) },
      apiKeyContext(key, null),
    );
    return {};
  }
}
