import type { ZoneCreate, ZoneUpdate, ZoneView } from '@porthole/contracts';
import type { AuditContext } from '../audit/audit-context.js';
import { diff, without } from '../audit/audit-rules.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { newId } from '../platform/crypto.js';
import type { ZoneRepo, ZoneRow } from './zone-repo.js';

export function toZoneView(row: ZoneRow): ZoneView {
  return {
    id: row.id,
    name: row.name,
    isDefault: row.is_default,
    searchAlternateZones: row.search_alternate_zones,
    agentCount: row.agent_count,
    createdAt: row.created_at.toISOString(),
  };
}

async function snapshot(tx: ZoneRepo, id: string): Promise<Record<string, unknown> | null> {
  const row = await tx.find(id);
  return row ? without(toZoneView(row), 'agentCount', 'createdAt') : null;
}

/** Zones group agents; placement prefers the requested zone and may fall back to others. */
export class ZoneService {
  constructor(private readonly zones: ZoneRepo) {}

  async list(): Promise<ZoneView[]> {
    return (await this.zones.list()).map(toZoneView);
  }

  async get(id: string): Promise<ZoneView> {
    const row = await this.zones.find(id);
    if (!row) throw new NotFoundError(`no zone ${id}`);
    return toZoneView(row);
  }

  async create(input: ZoneCreate, ctx: AuditContext): Promise<ZoneView> {
    const id = newId();
    await this.zones.transaction(async (tx, audit) => {
      await tx.insert({ id, name: input.name, searchAlternateZones: input.searchAlternateZones ?? true });
      await audit.record(ctx, {
        action: 'zone.create',
        resourceType: 'zone',
        resourceId: id,
        diff: diff(null, await snapshot(tx, id)),
      });
    });
    return this.get(id);
  }

  async update(id: string, patch: ZoneUpdate, ctx: AuditContext): Promise<ZoneView> {
    const set: { name?: string; search_alternate_zones?: boolean } = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.searchAlternateZones !== undefined) set.search_alternate_zones = patch.searchAlternateZones;
    await this.zones.transaction(async (tx, audit) => {
      const before = await snapshot(tx, id);
      if (!(await tx.update(id, set))) throw new NotFoundError(`no zone ${id}`);
      await audit.record(ctx, {
        action: 'zone.update',
        resourceType: 'zone',
        resourceId: id,
        diff: diff(before, await snapshot(tx, id)),
      });
    });
    return this.get(id);
  }

  async delete(id: string, ctx: AuditContext): Promise<void> {
    await this.zones.transaction(async (tx, audit) => {
      const row = await tx.find(id, true);
      if (!row) throw new NotFoundError(`no zone ${id}`);
      if (row.is_default) throw new ConflictError('the default zone cannot be deleted');
      if (row.agent_count > 0) {
        throw new ConflictError(
          `zone ${row.name} still holds ${row.agent_count} agent(s); move or remove them first`,
        );
      }
      await tx.delete(id);
      await audit.record(ctx, {
        action: 'zone.delete',
        resourceType: 'zone',
        resourceId: id,
        diff: diff(without(toZoneView(row), 'agentCount', 'createdAt'), null),
      });
    });
  }
}
