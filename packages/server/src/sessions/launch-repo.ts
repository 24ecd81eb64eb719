import { sql } from 'kysely';
import { AgentRepo } from '../agents/agent-repo.js';
import type { Db } from '../db/database.js';
import type { PlacementZone } from './placement.js';
import { SessionRepo, type SessionRow } from './session-repo.js';

/** What a launch reads and writes while it holds the placement lock, all in one transaction. */
export interface PlacementUnitOfWork {
  launch: LaunchRepo;
  sessions: SessionRepo;
  agents: AgentRepo;
}

export interface LaunchImage {
  id: string;
  name: string;
  docker_image: string;
  cores: number;
  memory_mb: number;
  shm_mb: number;
  network: string | null;
  zone_id: string | null;
  agent_id: string | null;
  enabled: boolean;
  run_config: Record<string, unknown>;
}

/** The reads a launch needs, and the lock that makes capacity checks and inserts atomic. */
export class LaunchRepo {
  constructor(private readonly db: Db) {}

  /**
   * Runs `work` in one transaction holding the placement lock, which serialises placement across
   * every server replica: two launches can never both count the same free capacity.
   */
  placementTransaction<T>(work: (tx: PlacementUnitOfWork) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext('porthole.placement'))`.execute(tx);
      return work({ launch: new LaunchRepo(tx), sessions: new SessionRepo(tx), agents: new AgentRepo(tx) });
    });
  }

  image(id: string): Promise<LaunchImage | undefined> {
    return this.db
      .selectFrom('images')
      .select([
        'id',
        'name',
        'docker_image',
        'cores',
        'memory_mb',
        'shm_mb',
        'network',
        'zone_id',
        'agent_id',
        'enabled',
        'run_config',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async zones(): Promise<Array<PlacementZone & { isDefault: boolean }>> {
    const rows = await this.db
      .selectFrom('zones')
      .select(['id', 'name', 'search_alternate_zones', 'is_default'])
      .execute();
    return rows.map((z) => ({
      id: z.id,
      name: z.name,
      searchAlternateZones: z.search_alternate_zones,
      isDefault: z.is_default,
    }));
  }

  /** A started, unassigned staged session for this image (and zone), locked for assignment. */
  async claimStaged(imageId: string, zoneId: string | undefined): Promise<SessionRow | undefined> {
    let q = this.db
      .selectFrom('sessions')
      .selectAll()
      .where('image_id', '=', imageId)
      .where('user_id', 'is', null)
      .where('staging_id', 'is not', null)
      .where('state', '=', 'running')
      .where('ended_at', 'is', null);
    if (zoneId) q = q.where('zone_id', '=', zoneId);
    return q.orderBy('running_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
  }

  async assignStaged(
    id: string,
    a: {
      userId: string;
      keepaliveSeconds: number;
      keepaliveAction: 'delete' | 'stop' | 'pause';
      expiresAt: Date | null;
      url: string | null;
    },
    now: Date,
  ): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({
        user_id: a.userId,
        keepalive_seconds: a.keepaliveSeconds,
        keepalive_action: a.keepaliveAction,
        expires_at: a.expiresAt,
        keepalive_at: now,
        updated_at: now,
        state_reason: 'assigned from staging',
        url: a.url,
      })
      .where('id', '=', id)
      .execute();
    await this.db
      .insertInto('session_events')
      .values({ session_id: id, state: 'running', reason: 'assigned from staging', at: now })
      .execute();
  }
}
