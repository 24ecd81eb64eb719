import type { ImageCreate, ImageUpdate, ImageView } from '@porthole/contracts';
import type { AuditContext } from '../audit/audit-context.js';
import { diff, without } from '../audit/audit-rules.js';
import { assertAllKnown, ConflictError, invalidField, NotFoundError } from '../errors.js';
import { newId } from '../platform/crypto.js';
import type { ImageFields, ImageRepo } from './image-repo.js';
import { checkNetwork, checkRunConfig } from './image-rules.js';
import { toImageView } from './image-view.js';

async function snapshot(tx: ImageRepo, id: string): Promise<Record<string, unknown> | null> {
  const row = await tx.find(id);
  return row ? without(toImageView(row), 'createdAt', 'updatedAt') : null;
}

/** Workspaces (images): what users may launch, with its resources and container settings. */
export class ImageService {
  constructor(private readonly images: ImageRepo) {}

  async list(): Promise<ImageView[]> {
    return (await this.images.list()).map(toImageView);
  }

  async get(id: string): Promise<ImageView> {
    const row = await this.images.find(id);
    if (!row) throw new NotFoundError(`no workspace ${id}`);
    return toImageView(row);
  }

  async create(input: ImageCreate, ctx: AuditContext): Promise<ImageView> {
    const fields: ImageFields = {
      name: input.name,
      friendly_name: input.friendlyName,
      description: input.description ?? '',
      docker_image: input.dockerImage,
      cores: input.cores,
      memory_mb: input.memoryMb,
      shm_mb: input.shmMb ?? 512,
      gpu_count: input.gpuCount ?? 0,
      network: checkNetwork(input.network),
      zone_id: input.zoneId ?? null,
      agent_id: input.agentId ?? null,
      enabled: input.enabled ?? true,
      categories: input.categories ?? [],
      icon: input.icon ?? null,
      run_config: input.runConfig ?? {},
      exec_config: input.execConfig ?? {},
    };
    checkRunConfig(input.runConfig);
    const id = newId();
    await this.images.transaction(async (tx, audit) => {
      await checkPlacement(tx, fields.zone_id, fields.agent_id);
      const groupIds = input.groupIds ?? [];
      assertAllKnown('groupIds', groupIds, await tx.existingGroupIds(groupIds));
      await tx.insert(id, fields);
      await tx.setGroups(id, groupIds);
      await audit.record(ctx, {
        action: 'image.create',
        resourceType: 'image',
        resourceId: id,
        diff: diff(null, await snapshot(tx, id)),
      });
    });
    return this.get(id);
  }

  async update(id: string, patch: ImageUpdate, ctx: AuditContext): Promise<ImageView> {
    const set: Partial<ImageFields> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.friendlyName !== undefined) set.friendly_name = patch.friendlyName;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.dockerImage !== undefined) set.docker_image = patch.dockerImage;
    if (patch.cores !== undefined) set.cores = patch.cores;
    if (patch.memoryMb !== undefined) set.memory_mb = patch.memoryMb;
    if (patch.shmMb !== undefined) set.shm_mb = patch.shmMb;
    if (patch.gpuCount !== undefined) set.gpu_count = patch.gpuCount;
    if (patch.network !== undefined) set.network = checkNetwork(patch.network);
    if (patch.zoneId !== undefined) set.zone_id = patch.zoneId;
    if (patch.agentId !== undefined) set.agent_id = patch.agentId;
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    if (patch.categories !== undefined) set.categories = patch.categories;
    if (patch.icon !== undefined) set.icon = patch.icon;
    if (patch.runConfig !== undefined) {
      checkRunConfig(patch.runConfig);
      set.run_config = patch.runConfig;
    }
    if (patch.execConfig !== undefined) set.exec_config = patch.execConfig;

    await this.images.transaction(async (tx, audit) => {
      const row = await tx.find(id, true);
      if (!row) throw new NotFoundError(`no workspace ${id}`);
      const before = await snapshot(tx, id);
      if (set.zone_id !== undefined || set.agent_id !== undefined) {
        await checkPlacement(tx, set.zone_id ?? row.zone_id, set.agent_id ?? row.agent_id, set);
      }
      if (patch.groupIds) {
        assertAllKnown('groupIds', patch.groupIds, await tx.existingGroupIds(patch.groupIds));
        await tx.setGroups(id, patch.groupIds);
      }
      await tx.update(id, set);
      await audit.record(ctx, {
        action: 'image.update',
        resourceType: 'image',
        resourceId: id,
        diff: diff(before, await snapshot(tx, id)),
      });
    });
    return this.get(id);
  }

  /** Refused while sessions of the image live: their containers need it to be torn down right. */
  async delete(id: string, ctx: AuditContext): Promise<void> {
    await this.images.transaction(async (tx, audit) => {
      const row = await tx.find(id, true);
      if (!row) throw new NotFoundError(`no workspace ${id}`);
      const live = await tx.liveSessionCount(id);
      if (live > 0) {
        throw new ConflictError(`workspace ${row.name} has ${live} live session(s); delete them first`);
      }
      const before = await snapshot(tx, id);
      await tx.deleteWithHistory(id);
      await audit.record(ctx, {
        action: 'image.delete',
        resourceType: 'image',
        resourceId: id,
        diff: diff(before, null),
      });
    });
  }
}

/**
 * A zone or agent restriction must name a real zone/agent, and an agent pinned together with a
 * zone must be in it (otherwise no placement could ever succeed).
 */
async function checkPlacement(
  repo: ImageRepo,
  zoneId: string | null,
  agentId: string | null,
  changed?: Partial<ImageFields>,
): Promise<void> {
  const zoneChanged = changed === undefined || changed.zone_id !== undefined;
  const agentChanged = changed === undefined || changed.agent_id !== undefined;
  if (zoneId && zoneChanged && !(await repo.zoneExists(zoneId)))
    throw invalidField('zoneId', `no zone ${zoneId}`);
  if (!agentId) return;
  const agentZone = await repo.agentZone(agentId);
  if (agentZone === undefined) {
    if (agentChanged) throw invalidField('agentId', `no agent ${agentId}`);
    return;
  }
  if (zoneId && agentZone !== zoneId) {
    throw invalidField(agentChanged ? 'agentId' : 'zoneId', 'the agent is not in the chosen zone');
  }
}
