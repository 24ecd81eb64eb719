import type { SessionState } from '@porthole/contracts';
import type { SessionRepo, SessionRow } from '../sessions/session-repo.js';

type Subset = Pick<
  SessionRepo,
  | 'liveOnAgent'
  | 'transition'
  | 'setActivity'
  | 'unknownOrEnded'
  | 'stale'
  | 'orphanedLaunches'
  | 'expiredKeepalive'
  | 'pastTimeLimit'
  | 'find'
>;

export function sessionRow(over: Partial<SessionRow> & { id: string }): SessionRow {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    user_id: 'u1',
    image_id: 'i1',
    agent_id: 'a1',
    zone_id: 'z1',
    staging_id: null,
    state: 'running',
    state_reason: null,
    cores: 1,
    memory_mb: 1024,
    container_id: 'c1',
    url: null,
    environment: null,
    share_id: null,
    driver_key: null,
    created_at: at,
    updated_at: at,
    running_at: at,
    keepalive_at: at,
    expires_at: null,
    last_activity_at: null,
    ended_at: null,
    keepalive_seconds: 3600,
    keepalive_action: 'delete',
    staged_at: null,
    ...over,
  };
}

/** The session repository's rules (conditional transitions, ending states) over an array. */
export class InMemorySessions implements Subset {
  readonly events: Array<{ id: string; state: string; reason: string | null }> = [];
  constructor(readonly rows: SessionRow[] = []) {}

  async find(id: string) {
    return this.rows.find((r) => r.id === id);
  }
  async liveOnAgent(agentId: string) {
    return this.rows.filter((r) => r.agent_id === agentId && !r.ended_at);
  }
  async transition(
    id: string,
    from: readonly SessionState[],
    to: SessionState,
    reason: string | null,
    now: Date,
    extra: Partial<SessionRow> = {},
  ) {
    const row = this.rows.find((r) => r.id === id && !r.ended_at && from.includes(r.state as SessionState));
    if (!row) return undefined;
    Object.assign(row, { state: to, state_reason: reason, updated_at: now, ...extra });
    if (to === 'deleted' || to === 'error') row.ended_at = now;
    this.events.push({ id, state: to, reason });
    return row;
  }
  async setActivity(entries: Array<{ id: string; at: Date }>) {
    for (const { id, at } of entries) {
      const row = this.rows.find((r) => r.id === id);
      if (row && (!row.last_activity_at || row.last_activity_at < at)) row.last_activity_at = at;
    }
  }
  async unknownOrEnded(ids: string[]) {
    return ids.filter((id) => !this.rows.some((r) => r.id === id && !r.ended_at));
  }
  async stale(states: readonly SessionState[], before: Date) {
    return this.rows.filter(
      (r) => !r.ended_at && states.includes(r.state as SessionState) && (r.updated_at as Date) < before,
    );
  }
  /** Lease keys whose process is gone (Postgres would let anyone take their lock). */
  readonly deadDrivers = new Set<number>();
  async orphanedLaunches(states: readonly SessionState[]) {
    return this.rows.filter(
      (r) =>
        !r.ended_at &&
        states.includes(r.state as SessionState) &&
        r.driver_key !== null &&
        this.deadDrivers.has(r.driver_key),
    );
  }
  async expiredKeepalive(now: Date) {
    return this.rows.filter(
      (r) =>
        !r.ended_at &&
        r.state === 'running' &&
        r.user_id !== null &&
        (r.keepalive_at as Date).getTime() + r.keepalive_seconds * 1000 < now.getTime(),
    );
  }
  async pastTimeLimit(now: Date) {
    return this.rows.filter(
      (r) => !r.ended_at && r.expires_at !== null && r.expires_at < now && r.state !== 'deleting',
    );
  }
}
