import type { Loop, LoopLog } from '../manager/loops.js';
import type { Clock } from '../platform/clock.js';
import type { SessionService } from '../sessions/session-service.js';
import type { StagingRepo } from './staging-repo.js';

/**
 * Keeps each pool at its desired count of standby sessions: starts the missing ones, deletes
 * extras and those past the pool's lifetime (so standby desktops never grow stale).
 */
export class StagingLoop implements Loop {
  readonly name = 'staging';
  constructor(
    private readonly deps: { repo: StagingRepo; sessions: SessionService; clock: Clock; log: LoopLog },
  ) {}

  async tick(): Promise<number> {
    const { repo, sessions, clock, log } = this.deps;
    const now = clock.now().getTime();
    let n = 0;
    for (const o of await repo.orphans()) {
      await sessions.delete('system', o.id, 'staging pool removed').catch(() => undefined);
      n += 1;
    }
    for (const pool of await repo.list()) {
      const standby = await repo.standby(pool.id);
      const expired = standby.filter((s) => now - s.created_at.getTime() > pool.expiration_seconds * 1000);
      const fresh = standby.filter((s) => !expired.includes(s));
      const extra = fresh.slice(0, Math.max(0, fresh.length - pool.desired_count));
      for (const s of [...expired, ...extra]) {
        await sessions
          .delete('system', s.id, expired.includes(s) ? 'staged session expired' : 'staging pool shrank')
          .catch(() => undefined);
        n += 1;
      }
      const missing = pool.desired_count - (fresh.length - extra.length);
      for (let i = 0; i < missing; i += 1) {
        try {
          await sessions.launchStaged(pool.id, pool.image_id, pool.zone_id);
          n += 1;
        } catch (err) {
          // No capacity now: try again next tick rather than failing the pool.
          log.warn(
            { stagingId: pool.id, err: err instanceof Error ? err.message : String(err) },
            'staging could not start a session',
          );
          break;
        }
      }
    }
    return n;
  }
}
