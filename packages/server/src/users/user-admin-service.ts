import {
  type AdminUserView,
  passwordSchema,
  type UserCreate,
  type UserUpdate,
  usernameSchema,
} from '@porthole/contracts';
import type { AuditContext } from '../audit/audit-context.js';
import { type AuditDiff, diff, REDACTED, without } from '../audit/audit-rules.js';
import { assertAllKnown, NotFoundError } from '../errors.js';
import type { EventHub } from '../events/domain-events.js';
import { parse } from '../http/parse.js';
import { type Clock, systemClock } from '../platform/clock.js';
import { newId, signInId } from '../platform/crypto.js';
import type { PasswordHasher } from '../platform/password-hasher.js';
import { assertAdministratorsRemain } from '../policies/administrators.js';
import type { AdminUserRow, UserPatch, UserRepo } from './user-repo.js';
import { assertNotSelf, withAllUsers } from './user-rules.js';

export interface UserAdminOptions {
  clock?: Clock;
  /**
   * The server's event hub. With it, a deleted user's sessions are torn down (`userDeleting`,
   * after they were marked `deleting` and before the user row goes, so the reaction can still find
   * them by owner), and the streams of a barred user (`userBarred`) or of sign-ins a password
   * change revoked (`signedOut`) close: a grant is checked only when a stream opens. Without it
   * (the CLI, which has no agents to talk to), the sessions stay `deleting` for the manager to reap.
   */
  events?: Pick<EventHub, 'emit'>;
}

/** Who is acting: an admin's own account is protected from some changes. */
export interface Actor {
  userId: string;
  sessionTokenHash?: Buffer;
}

export function toAdminUserView(row: AdminUserRow): AdminUserView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    isAdmin: row.is_admin,
    locked: row.locked,
    disabled: row.disabled,
    createdAt: row.created_at.toISOString(),
    lastLoginAt: row.last_login_at?.toISOString() ?? null,
    groupIds: row.group_ids,
    sessionCount: row.session_count,
  };
}

/** A user as the audit log compares it: what an admin sets, not what moves by itself. */
async function snapshot(tx: UserRepo, id: string): Promise<Record<string, unknown> | null> {
  const row = await tx.findAdmin(id);
  return row ? without(toAdminUserView(row), 'sessionCount', 'lastLoginAt') : null;
}

const passwordChanged: AuditDiff = { password: { before: REDACTED, after: REDACTED } };

/** User administration shared by the CLI (`porthole user …`) and the admin API. */
export class UserAdminService {
  private readonly clock: Clock;

  constructor(
    private readonly users: UserRepo,
    private readonly hasher: PasswordHasher,
    private readonly options: UserAdminOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async list(): Promise<AdminUserView[]> {
    return (await this.users.listAdmin()).map(toAdminUserView);
  }

  async get(id: string): Promise<AdminUserView> {
    const row = await this.users.findAdmin(id);
    if (!row) throw new NotFoundError(`no user ${id}`);
    return toAdminUserView(row);
  }

  /** Creates a user in All Users (plus Administrators with `admin`, plus `groupIds`); returns the id. */
  async create(
    input: Omit<UserCreate, 'displayName'> & { admin?: boolean; displayName?: string | undefined },
    ctx: AuditContext,
  ): Promise<string> {
    const username = parse(usernameSchema, input.username, 'username');
    const password = parse(passwordSchema, input.password, 'password');
    const passwordHash = await this.hasher.hash(password);
    const id = newId();
    await this.users.transaction(async (tx, audit) => {
      const requested = [...(input.groupIds ?? [])];
      assertAllKnown('groupIds', requested, await tx.existingGroupIds(requested));
      if (input.admin) {
        const admins = await tx.groupIdByRole('administrators');
        if (admins) requested.push(admins);
      }
      await tx.insert({
        id,
        username,
        displayName: input.displayName ?? '',
        passwordHash,
        locked: input.locked ?? false,
        disabled: input.disabled ?? false,
      });
      await tx.setGroups(id, withAllUsers(requested, await tx.groupIdByRole('all_users')));
      await audit.record(ctx, {
        action: 'user.create',
        resourceType: 'user',
        resourceId: id,
        diff: { ...diff(null, await snapshot(tx, id)), password: { before: null, after: REDACTED } },
      });
    });
    return id;
  }

  async update(actor: Actor, id: string, patch: UserUpdate, ctx: AuditContext): Promise<AdminUserView> {
    if (patch.locked === true) assertNotSelf(actor.userId, id, 'lock');
    if (patch.disabled === true) assertNotSelf(actor.userId, id, 'disable');
    const set: UserPatch = {};
    if (patch.username !== undefined) set.username = patch.username;
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.locked !== undefined) set.locked = patch.locked;
    if (patch.disabled !== undefined) set.disabled = patch.disabled;
    if (patch.password !== undefined) set.password_hash = await this.hasher.hash(patch.password);
    const barred = patch.locked === true || patch.disabled === true;

    await this.users.transaction(async (tx, audit) => {
      const before = await snapshot(tx, id);
      if (!(await tx.update(id, set))) throw new NotFoundError(`no user ${id}`);
      if (patch.groupIds) {
        assertAllKnown('groupIds', patch.groupIds, await tx.existingGroupIds(patch.groupIds));
        const target = withAllUsers(patch.groupIds, await tx.groupIdByRole('all_users'));
        const admins = await tx.lockAdministrators();
        if (admins && !target.includes(admins.groupId)) assertAdministratorsRemain(admins.memberIds, [id]);
        await tx.setGroups(id, target);
      }
      if (barred) await tx.revokeSignIns(id);
      else if (set.password_hash) {
        // Changing one's own password keeps the browser it was changed from signed in.
        await tx.revokeSignIns(id, actor.userId === id ? actor.sessionTokenHash : undefined);
      }
      const changes = diff(before, await snapshot(tx, id));
      await audit.record(ctx, {
        action: 'user.update',
        resourceType: 'user',
        resourceId: id,
        diff: set.password_hash ? { ...changes, ...passwordChanged } : changes,
      });
    });
    // After the commit, so a stream reopened meanwhile is refused; best effort, like a kick.
    const { events } = this.options;
    if (barred) await events?.emit('userBarred', { userId: id });
    else if (set.password_hash) {
      const kept = actor.userId === id && actor.sessionTokenHash ? signInId(actor.sessionTokenHash) : null;
      await events?.emit('signedOut', kept ? { userId: id, exceptSignIn: kept } : { userId: id });
    }
    return this.get(id);
  }

  /** Deletes a user with their sessions and sign-ins. */
  async delete(actor: Actor, id: string, ctx: AuditContext): Promise<void> {
    assertNotSelf(actor.userId, id, 'delete');
    const { events } = this.options;
    const sessionIds = await this.users.transaction(async (tx, audit) => {
      const admins = await tx.lockAdministrators();
      const before = await snapshot(tx, id);
      if (!before) throw new NotFoundError(`no user ${id}`);
      if (admins) assertAdministratorsRemain(admins.memberIds, [id]);
      const ids = await tx.markSessionsDeleting(id, 'user deleted', this.clock.now());
      // Recorded with the decision: from here the user can no longer sign in, and the row's
      // removal after the teardown below is the manager's to finish if this process dies.
      await audit.record(ctx, {
        action: 'user.delete',
        resourceType: 'user',
        resourceId: id,
        diff: diff(before, null),
        details: { sessionIds: ids },
      });
      await tx.revokeSignIns(id);
      if (events) {
        // Barred while the hook runs, so the account cannot sign in and start new sessions.
        await tx.update(id, { disabled: true });
      } else {
        await tx.delete(id);
      }
      return ids;
    });
    if (!events) return;
    // A failed teardown is logged by the hub: the sessions are `deleting`, which the manager reaps.
    await events.emit('userDeleting', { userId: id, sessionIds });
    await this.users.delete(id);
  }

  async resetPassword(username: string, password: string, ctx: AuditContext): Promise<void> {
    const checked = parse(passwordSchema, password, 'password');
    const user = await this.users.findByUsername(username);
    if (!user) throw new NotFoundError(`no user ${username}`);
    const hash = await this.hasher.hash(checked);
    await this.users.transaction(async (tx, audit) => {
      await tx.setPassword(user.id, hash);
      await tx.revokeSignIns(user.id);
      await audit.record(ctx, {
        action: 'user.update',
        resourceType: 'user',
        resourceId: user.id,
        diff: passwordChanged,
      });
    });
  }
}
