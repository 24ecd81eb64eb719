import type { Clock } from '../platform/clock.js';
import type { AuditService } from './audit-service.js';

const DAY_MS = 24 * 3600_000;

/**
 * The daily purge. The loop wakes hourly and purges when a day has passed since its last purge,
 * so a server restarted every few hours still purges, and a first tick purges at once. It is a
 * manager loop by shape (manager/loops.ts), not by import: the manager reaches into sessions,
 * which record into the audit log.
 */
export class AuditPurgeLoop {
  readonly name = 'audit-purge';
  private lastPurge: number | null = null;

  constructor(private readonly deps: { service: Pick<AuditService, 'purge'>; clock: Clock }) {}

  async tick(): Promise<number> {
    const now = this.deps.clock.now().getTime();
    if (this.lastPurge !== null && now - this.lastPurge < DAY_MS) return 0;
    const purged = await this.deps.service.purge();
    this.lastPurge = now;
    return purged;
  }
}
