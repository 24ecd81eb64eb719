import type { StagingCreate, StagingUpdate, StagingView } from '@porthole/contracts';
import type { AuditContext } from '../audit/audit-context.js';
import { diff, without } from '../audit/audit-rules.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../platform/crypto.js';
import type { StagingRepo, StagingRow } from './staging-repo.js';

function toView(r: StagingRow): StagingView {
  return {
    id: r.id,
    zoneId: r.zone_id,
    imageId: r.image_id,
    desiredCount: r.desired_count,
    expirationSeconds: r.expiration_seconds,
    readyCount: r.ready_count,
    startingCount: r.starting_count,
    createdAt: r.created_at.toISOString(),
  };
}

/** A pool as the audit log compares it: its settings, not its live counts. */
const snapshot = (r: StagingRow | undefined) =>
  r ? without(toView(r), 'readyCount', 'startingCount', 'createdAt') : null;

export class StagingService {
  constructor(private readonly repo: StagingRepo) {}

  async list(): Promise<StagingView[]> {
    return (await this.repo.list()).map(toView);
  }

  async get(id: string): Promise<StagingView> {
    const r = await this.repo.find(id);
    if (!r) throw new NotFoundError(`no staging pool ${id}`);
    return toView(r);
  }

  async create(input: StagingCreate, ctx: AuditContext): Promise<StagingView> {
    await this.checkRefs(input.zoneId, input.imageId);
    const id = newId();
    try {
      await this.repo.transaction(async (tx, audit) => {
        await tx.insert({
          id,
          zoneId: input.zoneId,
          imageId: input.imageId,
          desiredCount: input.desiredCount,
          expirationSeconds: input.expirationSeconds ?? 3600,
        });
        await audit.record(ctx, {
          action: 'staging.create',
          resourceType: 'staging',
          resourceId: id,
          diff: diff(null, snapshot(await tx.find(id))),
        });
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new ConflictError('a staging pool for this zone and workspace exists');
      throw err;
    }
    return this.get(id);
  }

  async update(id: string, patch: StagingUpdate, ctx: AuditContext): Promise<StagingView> {
    await this.checkRefs(patch.zoneId, patch.imageId);
    const set: Parameters<StagingRepo['update']>[1] = {};
    if (patch.zoneId) set.zone_id = patch.zoneId;
    if (patch.imageId) set.image_id = patch.imageId;
    if (patch.desiredCount !== undefined) set.desired_count = patch.desiredCount;
    if (patch.expirationSeconds !== undefined) set.expiration_seconds = patch.expirationSeconds;
    try {
      await this.repo.transaction(async (tx, audit) => {
        const before = snapshot(await tx.find(id));
        if (!(await tx.update(id, set))) throw new NotFoundError(`no staging pool ${id}`);
        await audit.record(ctx, {
          action: 'staging.update',
          resourceType: 'staging',
          resourceId: id,
          diff: diff(before, snapshot(await tx.find(id))),
        });
      });
    } catch (err) {
      // Moving a pool onto a zone × workspace another pool holds: the same conflict as create.
      if ((err as { code?: string }).code === '23505')
        throw new ConflictError('a staging pool for this zone and workspace exists');
      throw err;
    }
    return this.get(id);
  }

  async delete(id: string, ctx: AuditContext): Promise<void> {
    await this.repo.transaction(async (tx, audit) => {
      const before = snapshot(await tx.find(id));
      if (!(await tx.delete(id))) throw new NotFoundError(`no staging pool ${id}`);
      await audit.record(ctx, {
        action: 'staging.delete',
        resourceType: 'staging',
        resourceId: id,
        diff: diff(before, null),
      });
    });
  }

  private async checkRefs(zoneId?: string, imageId?: string): Promise<void> {
    if (zoneId && !(await this.repo.zoneExists(zoneId))) {
      throw new InvalidError(`zoneId: no zone ${zoneId}`, { issues: [{ field: 'zoneId' }] });
    }
    if (imageId && !(await this.repo.imageExists(imageId))) {
      throw new InvalidError(`imageId: no workspace ${imageId}`, { issues: [{ field: 'imageId' }] });
    }
  }
}
