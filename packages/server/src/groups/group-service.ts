import type { GroupCreate, GroupUpdate, GroupView } from '@porthole/contracts';
import type { AuditContext } from '../audit/audit-context.js';
import { diff, without } from '../audit/audit-rules.js';
import { assertAllKnown, ConflictError, NotFoundError } from '../errors.js';
import { newId } from '../platform/crypto.js';
import { assertAdministratorsRemain } from '../policies/administrators.js';
import type { GroupRepo, GroupRow } from './group-repo.js';

export function toGroupView(row: GroupRow): GroupView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    priority: row.priority,
    settings: row.settings,
    systemRole: row.system_role,
    memberIds: row.member_ids,
    imageIds: row.image_ids,
    createdAt: row.created_at.toISOString(),
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** A group as the audit log compares it (memberships and settings included). */
async function snapshot(tx: GroupRepo, id: string): Promise<Record<string, unknown> | null> {
  const row = await tx.find(id);
  return row ? without(toGroupView(row), 'createdAt') : null;
}

/** Groups: members, priority, settings and allowed images; the two system groups are protected. */
export class GroupService {
  constructor(private readonly groups: GroupRepo) {}

  async list(): Promise<GroupView[]> {
    return (await this.groups.list()).map(toGroupView);
  }

  async get(id: string): Promise<GroupView> {
    const row = await this.groups.find(id);
    if (!row) throw new NotFoundError(`no group ${id}`);
    return toGroupView(row);
  }

  async create(input: GroupCreate, ctx: AuditContext): Promise<GroupView> {
    const id = newId();
    await this.groups.transaction(async (tx, audit) => {
      const memberIds = input.memberIds ?? [];
      const imageIds = input.imageIds ?? [];
      assertAllKnown('memberIds', memberIds, await tx.existingUserIds(memberIds));
      assertAllKnown('imageIds', imageIds, await tx.existingImageIds(imageIds));
      await tx.insert({
        id,
        name: input.name,
        description: input.description ?? '',
        priority: input.priority ?? 100,
        settings: input.settings ?? {},
      });
      await tx.setMembers(id, memberIds);
      await tx.setImages(id, imageIds);
      await audit.record(ctx, {
        action: 'group.create',
        resourceType: 'group',
        resourceId: id,
        diff: diff(null, await snapshot(tx, id)),
      });
    });
    return this.get(id);
  }

  /** `settings`, `memberIds` and `imageIds` replace the whole value when present. */
  async update(id: string, patch: GroupUpdate, ctx: AuditContext): Promise<GroupView> {
    await this.groups.transaction(async (tx, audit) => {
      const row = await tx.find(id, true);
      if (!row) throw new NotFoundError(`no group ${id}`);
      if (row.system_role === 'all_users' && patch.memberIds && !sameSet(patch.memberIds, row.member_ids)) {
        throw new ConflictError('All Users membership cannot be edited: every user is a member');
      }
      if (row.system_role === 'administrators') {
        if (patch.settings && patch.settings.administrator !== true) {
          throw new ConflictError('the Administrators group must keep the administrator setting');
        }
        if (patch.memberIds) {
          const removed = row.member_ids.filter((m) => !patch.memberIds?.includes(m));
          assertAdministratorsRemain(new Set(row.member_ids), removed, 'group members');
        }
      }
      if (patch.memberIds)
        assertAllKnown('memberIds', patch.memberIds, await tx.existingUserIds(patch.memberIds));
      if (patch.imageIds)
        assertAllKnown('imageIds', patch.imageIds, await tx.existingImageIds(patch.imageIds));
      const { memberIds, imageIds, ...fields } = patch;
      await tx.update(id, fields);
      if (memberIds && row.system_role !== 'all_users') await tx.setMembers(id, memberIds);
      if (imageIds) await tx.setImages(id, imageIds);
      await audit.record(ctx, {
        action: 'group.update',
        resourceType: 'group',
        resourceId: id,
        diff: diff(without(toGroupView(row), 'createdAt'), await snapshot(tx, id)),
      });
    });
    return this.get(id);
  }

  async delete(id: string, ctx: AuditContext): Promise<void> {
    await this.groups.transaction(async (tx, audit) => {
      const row = await tx.find(id, true);
      if (!row) throw new NotFoundError(`no group ${id}`);
      if (row.system_role) throw new ConflictError(`${row.name} is a system group and cannot be deleted`);
      await tx.delete(id);
      await audit.record(ctx, {
        action: 'group.delete',
        resourceType: 'group',
        resourceId: id,
        diff: diff(without(toGroupView(row), 'createdAt'), null),
      });
    });
  }
}
