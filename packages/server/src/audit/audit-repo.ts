import type { AuditAction } from '@porthole/contracts';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { AuditActorType } from '../db/schema.js';
import type { AuditContext } from './audit-context.js';
import { type AuditDiff, redact, redactDiff, storable } from './audit-rules.js';

/** What changed, as a service describes it; who and from where come with the AuditContext. */
export interface AuditChange {
  action: AuditAction;
  resourceType: string;
  resourceId: string | null;
  diff?: AuditDiff;
  details?: Record<string, unknown>;
  /** Defaults to the database's clock. */
  at?: Date;
}

export interface AuditRow {
  id: number;
  at: Date;
  actor_type: AuditActorType;
  actor_id: string | null;
  actor_name: string;
  address: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  diff: Record<string, unknown>;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  since?: Date;
  until?: Date;
  /** Entries older than this one in the newest-first order (the previous page's last). */
  after?: { at: Date; id: number };
}

/**
 * The audit log's SQL. Bound to a transaction (every repository's `transaction` hands one out),
 * `record` commits or rolls back with the change it describes.
 */
export class AuditRepo {
  constructor(private readonly db: Db) {}

  async record(ctx: AuditContext, change: AuditChange): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        ...(change.at ? { at: change.at } : {}),
        actor_type: ctx.actor.type,
        actor_id: ctx.actor.id,
        actor_name: storable(ctx.actor.name),
        address: ctx.address,
        action: change.action,
        resource_type: change.resourceType,
        resource_id: change.resourceId === null ? null : storable(change.resourceId),
        diff: JSON.stringify(redactDiff(change.diff ?? {})),
        details: JSON.stringify(redact(change.details ?? {})),
      })
      .execute();
  }

  private filtered(f: AuditFilter) {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (f.actor) {
      const actor = f.actor;
      q = q.where((eb) =>
        eb.or([eb('actor_id', '=', actor), eb(sql<string>`lower(actor_name)`, '=', actor.toLowerCase())]),
      );
    }
    if (f.action) q = q.where('action', '=', f.action);
    if (f.resourceType) q = q.where('resource_type', '=', f.resourceType);
    if (f.resourceId) q = q.where('resource_id', '=', f.resourceId);
    if (f.since) q = q.where('at', '>=', f.since);
    if (f.until) q = q.where('at', '<', f.until);
    if (f.after) {
      const { at, id } = f.after;
      q = q.where(sql<boolean>`(at, id) < (${at}, ${id})`);
    }
    return q.orderBy('at', 'desc').orderBy('id', 'desc');
  }

  list(filter: AuditFilter, limit: number): Promise<AuditRow[]> {
    return this.filtered(filter).limit(limit).execute() as Promise<AuditRow[]>;
  }

  /** Every matching entry, newest first, a page at a time so an export never holds them all. */
  async *each(filter: AuditFilter, pageSize = 500): AsyncGenerator<AuditRow> {
    let after = filter.after;
    for (;;) {
      const rows = await this.list({ ...filter, ...(after ? { after } : {}) }, pageSize);
      yield* rows;
      const last = rows.at(-1);
      if (!last || rows.length < pageSize) return;
      after = { at: last.at, id: last.id };
    }
  }

  /** Deletes the entries older than `cutoff`; returns how many went. */
  async purgeBefore(cutoff: Date): Promise<number> {
    const r = await this.db.deleteFrom('audit_log').where('at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
