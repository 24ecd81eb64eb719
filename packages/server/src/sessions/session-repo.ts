import { losableSessionStates, type SessionState } from '@porthole/contracts';
import { type Selectable, sql } from 'kysely';
import { DRIVER_LOCK_NAMESPACE } from '../db/advisory-locks.js';
import type { Db } from '../db/database.js';
import type { SessionsTable } from '../db/schema.js';

export type SessionRow = Selectable<SessionsTable>;

export interface SessionListRow extends SessionRow {
  username: string | null;
  image_name: string;
  image_friendly_name: string;
  agent_name: string | null;
}

const ENDING: readonly SessionState[] = ['deleted', 'error'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SessionFilter {
  userId?: string;
  agentId?: string;
  state?: SessionState;
  includeEnded?: boolean;
}

export class SessionRepo {
  constructor(private readonly db: Db) {}

  find(id: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(filter: SessionFilter, limit = 1000): Promise<SessionListRow[]> {
    let q = this.db
      .selectFrom('sessions as s')
      .innerJoin('images as i', 'i.id', 's.image_id')
      .leftJoin('users as u', 'u.id', 's.user_id')
      .leftJoin('agents as a', 'a.id', 's.agent_id')
      .selectAll('s')
      .select([
        'u.username as username',
        'i.name as image_name',
        'i.friendly_name as image_friendly_name',
        'a.name as agent_name',
      ]);
    if (filter.userId) q = q.where('s.user_id', '=', filter.userId);
    if (filter.agentId) q = q.where('s.agent_id', '=', filter.agentId);
    if (filter.state) q = q.where('s.state', '=', filter.state);
    if (!filter.includeEnded) q = q.where('s.ended_at', 'is', null);
    return q.orderBy('s.created_at', 'desc').limit(limit).execute();
  }

  async findView(id: string): Promise<SessionListRow | undefined> {
    return this.db
      .selectFrom('sessions as s')
      .innerJoin('images as i', 'i.id', 's.image_id')
      .leftJoin('users as u', 'u.id', 's.user_id')
      .leftJoin('agents as a', 'a.id', 's.agent_id')
      .selectAll('s')
      .select([
        'u.username as username',
        'i.name as image_name',
        'i.friendly_name as image_friendly_name',
        'a.name as agent_name',
      ])
      .where('s.id', '=', id)
      .executeTakeFirst();
  }

  async insert(row: {
    id: string;
    userId: string | null;
    imageId: string;
    agentId: string;
    zoneId: string;
    stagingId: string | null;
    cores: number;
    memoryMb: number;
    url: string | null;
    environment?: Readonly<Record<string, string>> | null;
    keepaliveSeconds: number;
    keepaliveAction: 'delete' | 'stop' | 'pause';
    expiresAt: Date | null;
    now: Date;
  }): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: row.id,
        user_id: row.userId,
        image_id: row.imageId,
        agent_id: row.agentId,
        zone_id: row.zoneId,
        staging_id: row.stagingId,
        state: 'requested',
        state_reason: row.stagingId ? 'staged' : null,
        cores: row.cores,
        memory_mb: row.memoryMb,
        url: row.url,
        environment: row.environment ? JSON.stringify(row.environment) : null,
        keepalive_seconds: row.keepaliveSeconds,
        keepalive_action: row.keepaliveAction,
        expires_at: row.expiresAt,
        created_at: row.now,
        updated_at: row.now,
        keepalive_at: row.now,
      })
      .execute();
    await this.db
      .insertInto('session_events')
      .values({
        session_id: row.id,
        state: 'requested',
        reason: row.stagingId ? 'staged' : null,
        at: row.now,
      })
      .execute();
  }

  /**
   * Moves a session from one of `from` to `to`, recording the event. Conditional, so when two
   * replicas race for the same session only one wins and performs the side effect.
   */
  async transition(
    id: string,
    from: readonly SessionState[],
    to: SessionState,
    reason: string | null,
    now: Date,
    extra: Partial<
      Pick<SessionRow, 'container_id' | 'running_at' | 'agent_id' | 'keepalive_at' | 'driver_key'>
    > = {},
  ): Promise<SessionRow | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('sessions')
        .set({
          state: to,
          state_reason: reason,
          updated_at: now,
          ...(ENDING.includes(to) ? { ended_at: now } : {}),
          ...extra,
        })
        .where('id', '=', id)
        .where('state', 'in', [...from])
        .where('ended_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (row)
        await tx
          .insertInto('session_events')
          .values({ session_id: id, state: to, reason, at: now })
          .execute();
      return row;
    });
  }

  /** The per-session environment is only needed to create the container; drop it once that is done. */
  async clearEnvironment(id: string): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ environment: null })
      .where('id', '=', id)
      .where('environment', 'is not', null)
      .execute();
  }

  async events(id: string): Promise<Array<{ state: string; reason: string | null; at: Date }>> {
    return this.db
      .selectFrom('session_events')
      .select(['state', 'reason', 'at'])
      .where('session_id', '=', id)
      .orderBy('id')
      .execute();
  }

  async keepalive(id: string, now: Date): Promise<void> {
    await this.db.updateTable('sessions').set({ keepalive_at: now }).where('id', '=', id).execute();
  }

  async countLiveForUser(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('sessions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow();
    return r.n;
  }

  /**
   * Sessions that have not ended, by state (standby sessions of staging pools included): ended
   * ones (deleted, error) would only ever grow, so they are counted as launches failed instead.
   */
  async countByState(): Promise<Map<SessionState, number>> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['state', sql<number>`count(*)::int`.as('n')])
      .where('ended_at', 'is', null)
      .groupBy('state')
      .execute();
    return new Map(rows.map((r) => [r.state as SessionState, r.n]));
  }

  /** Settled sessions of an agent gone silent become `lost` (each move recorded with `reason`). */
  async markLostOnAgent(agentId: string, reason: string, now: Date): Promise<number> {
    let moved = 0;
    for (const s of await this.liveOnAgent(agentId)) {
      if (await this.transition(s.id, losableSessionStates, 'lost', reason, now)) moved += 1;
    }
    return moved;
  }

  liveOnAgent(agentId: string): Promise<SessionRow[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('ended_at', 'is', null)
      .execute();
  }

  /**
   * Of the given ids, those with no live row: the agent should remove their containers. An id that
   * is not a UUID (a container labelled by hand or by another tool) is unknown by definition; it
   * must not reach the uuid column, where it would fail the whole check-in.
   */
  async unknownOrEnded(ids: string[]): Promise<string[]> {
    const candidates = ids.filter((id) => UUID.test(id));
    if (candidates.length === 0) return ids;
    const rows = await this.db
      .selectFrom('sessions')
      .select('id')
      .where('id', 'in', candidates)
      .where('ended_at', 'is', null)
      .execute();
    const live = new Set(rows.map((r) => r.id));
    return ids.filter((id) => !live.has(id));
  }

  /** Records when bytes last flowed, for many sessions at once; never moves a time backwards. */
  async setActivity(entries: Array<{ id: string; at: Date }>): Promise<void> {
    if (entries.length === 0) return;
    await sql`
      update sessions s set last_activity_at = v.at
      from (select unnest(${entries.map((e) => e.id)}::uuid[]) as id,
                   unnest(${entries.map((e) => e.at.toISOString())}::timestamptz[]) as at) v
      where s.id = v.id and (s.last_activity_at is null or s.last_activity_at < v.at)`.execute(this.db);
  }

  /** Live sessions in `states` last updated before `before`, oldest first. */
  stale(states: readonly SessionState[], before: Date, limit = 100): Promise<SessionRow[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('state', 'in', [...states])
      .where('ended_at', 'is', null)
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
  }

  /**
   * Launches whose driving process is gone: stamped with a lease key nobody holds any more. Taking
   * the key's lock inside this transaction is the test (it fails while the driver lives); the
   * lock goes with the transaction, so this only reads.
   */
  orphanedLaunches(states: readonly SessionState[], limit = 100): Promise<SessionRow[]> {
    return this.db.transaction().execute((tx) =>
      tx
        .selectFrom('sessions')
        .selectAll()
        .where('state', 'in', [...states])
        .where('ended_at', 'is', null)
        .where('driver_key', 'is not', null)
        .where(sql<boolean>`pg_try_advisory_xact_lock(${DRIVER_LOCK_NAMESPACE}::int, driver_key)`)
        .orderBy('updated_at')
        .limit(limit)
        .execute(),
    );
  }

  expiredKeepalive(now: Date, limit = 100): Promise<SessionRow[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('state', '=', 'running')
      .where('user_id', 'is not', null)
      .where('ended_at', 'is', null)
      .where(sql<boolean>`keepalive_at + make_interval(secs => keepalive_seconds) < ${now}`)
      .limit(limit)
      .execute();
  }

  pastTimeLimit(now: Date, limit = 100): Promise<SessionRow[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('ended_at', 'is', null)
      .where('expires_at', '<', now)
      .where('state', 'not in', ['deleting'])
      .limit(limit)
      .execute();
  }
}
