import type { StagingCreate, StagingUpdate, StagingView } from '@porthole/contracts';
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

  async create(input: StagingCreate): Promise<StagingView> {
    await this.checkRefs(input.zoneId, input.imageId);
    const id = newId();
    try {
      await this.repo.insert({
        id,
        zoneId: input.zoneId,
        imageId: input.imageId,
        desiredCount: input.desiredCount,
        expirationSeconds: input.expirationSeconds ?? 3600,
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new ConflictError('a staging pool for this zone and workspace exists');
      throw err;
    }
    return this.get(id);
  }

  async update(id: string, patch: StagingUpdate): Promise<StagingView> {
    await this.checkRefs(patch.zoneId, patch.imageId);
    const set: Parameters<StagingRepo['update']>[1] = {};
    if (patch.zoneId) set.zone_id = patch.zoneId;
    if (patch.imageId) set.image_id = patch.imageId;
    if (patch.desiredCount !== undefined) set.desired_count = patch.desiredCount;
    if (patch.expirationSeconds !== undefined) set.expiration_seconds = patch.expirationSeconds;
    let found: boolean;
    try {
      found = await this.repo.update(id, set);
    } catch (err) {
      // Moving a pool onto a zone × workspace another pool holds: the same conflict as create.
      if ((err as { code?: string }).code === '23505')
        throw new ConflictError('a staging pool for this zone and workspace exists');
      throw err;
    }
    if (!found) throw new NotFoundError(`no staging pool ${id}`);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repo.delete(id))) throw new NotFoundError(`no staging pool ${id}`);
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
