import type { ImagePullState } from '@porthole/contracts';
import { sql } from 'kysely';
import { AuditRepo } from '../audit/audit-repo.js';
import type { Db } from '../db/database.js';
import type { AgentResourcesJson } from '../db/schema.js';

export interface AgentRow {
  id: string;
  name: string;
  zone_id: string;
  url: string;
  secret_hash: Buffer;
  hostname: string | null;
  enabled: boolean;
  draining: boolean;
  cores_override: number | null;
  memory_mb_override: number | null;
  resources: AgentResourcesJson | null;
  images: ImagePullState[];
  version: string | null;
  last_checkin_at: Date | null;
  offline_since: Date | null;
  created_at: Date;
}

export interface AgentAllocation {
  agent_id: string;
  cores: number;
  memory_mb: number;
  sessions: number;
}

const live = sql<boolean>`ended_at is null`;

export class AgentRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction with a repo and the audit log bound to it, so a change and
   * its audit entry commit together or not at all.
   */
  transaction<T>(work: (tx: AgentRepo, audit: AuditRepo) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new AgentRepo(tx), new AuditRepo(tx)));
  }

  async list(): Promise<AgentRow[]> {
    return (await this.db.selectFrom('agents').selectAll().orderBy('name').execute()) as AgentRow[];
  }

  async find(id: string): Promise<AgentRow | undefined> {
    return (await this.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst()) as
      | AgentRow
      | undefined;
  }

  async findByName(name: string): Promise<AgentRow | undefined> {
    return (await this.db
      .selectFrom('agents')
      .selectAll()
      .where(sql<string>`lower(name)`, '=', name.toLowerCase())
      .executeTakeFirst()) as AgentRow | undefined;
  }

  async insert(row: {
    id: string;
    name: string;
    zoneId: string;
    url: string;
    secretHash: Buffer;
    hostname: string | null;
    version: string;
  }): Promise<void> {
    await this.db
      .insertInto('agents')
      .values({
        id: row.id,
        name: row.name,
        zone_id: row.zoneId,
        url: row.url,
        secret_hash: row.secretHash,
        hostname: row.hostname,
        version: row.version,
        resources: null,
      })
      .execute();
  }

  /** Re-registration under an existing name (agent lost its state dir): new secret, same row. */
  async reRegister(
    id: string,
    row: { url: string; secretHash: Buffer; hostname: string | null; version: string },
  ) {
    await this.db
      .updateTable('agents')
      .set({ url: row.url, secret_hash: row.secretHash, hostname: row.hostname, version: row.version })
      .where('id', '=', id)
      .execute();
  }

  async recordCheckin(
    id: string,
    at: Date,
    data: { resources: AgentResourcesJson; images: ImagePullState[]; version: string },
  ): Promise<void> {
    await this.db
      .updateTable('agents')
      .set({
        resources: JSON.stringify(data.resources),
        images: JSON.stringify(data.images),
        version: data.version,
        last_checkin_at: at,
        offline_since: null,
      })
      .where('id', '=', id)
      .execute();
  }

  async update(
    id: string,
    patch: Partial<{
      name: string;
      zone_id: string;
      enabled: boolean;
      draining: boolean;
      cores_override: number | null;
      memory_mb_override: number | null;
      url: string;
    }>,
  ): Promise<boolean> {
    if (Object.keys(patch).length === 0) return (await this.find(id)) !== undefined;
    const r = await this.db.updateTable('agents').set(patch).where('id', '=', id).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('agents').where('id', '=', id).execute();
  }

  /**
   * Agents silent since `cutoff` that are not yet marked offline; marks them and returns their ids.
   * With `seenSince`, only agents that checked in at or after it are considered.
   */
  /** The images an agent should hold: enabled ones not restricted to another agent or zone. */
  async desiredImageRefs(agentId: string, zoneId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('images')
      .select('docker_image')
      .where('enabled', '=', true)
      .where((eb) => eb.or([eb('agent_id', 'is', null), eb('agent_id', '=', agentId)]))
      .where((eb) => eb.or([eb('zone_id', 'is', null), eb('zone_id', '=', zoneId)]))
      .execute();
    return [...new Set(rows.map((i) => i.docker_image))];
  }

  async zoneExists(zoneId: string): Promise<boolean> {
    return (
      (await this.db.selectFrom('zones').select('id').where('id', '=', zoneId).executeTakeFirst()) !==
      undefined
    );
  }

  async markSilentOffline(cutoff: Date, now: Date, seenSince?: Date): Promise<string[]> {
    let q = this.db
      .updateTable('agents')
      .set({ offline_since: now })
      .where('offline_since', 'is', null)
      .where((eb) => eb.or([eb('last_checkin_at', '<', cutoff), eb('last_checkin_at', 'is', null)]))
      .where('created_at', '<', cutoff);
    if (seenSince) q = q.where('last_checkin_at', '>=', seenSince);
    const rows = await q.returning('id').execute();
    return rows.map((r) => r.id);
  }

  /** Cores and memory held by live sessions, per agent: the reservations placement counts. */
  async allocations(): Promise<Map<string, AgentAllocation>> {
    const rows = await this.db
      .selectFrom('sessions')
      .select([
        'agent_id',
        sql<number>`coalesce(sum(cores), 0)::float8`.as('cores'),
        sql<number>`coalesce(sum(memory_mb), 0)::int`.as('memory_mb'),
        sql<number>`count(*)::int`.as('sessions'),
      ])
      .where(live)
      .where('agent_id', 'is not', null)
      .groupBy('agent_id')
      .execute();
    const out = new Map<string, AgentAllocation>();
    for (const r of rows) if (r.agent_id) out.set(r.agent_id, { ...r, agent_id: r.agent_id });
    return out;
  }

  async zoneIdByName(name: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('zones')
      .select('id')
      .where(sql<string>`lower(name)`, '=', name.toLowerCase())
      .executeTakeFirst();
    return r?.id;
  }

  async defaultZoneId(): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('zones')
      .select('id')
      .where('is_default', '=', true)
      .executeTakeFirst();
    return r?.id;
  }
}
