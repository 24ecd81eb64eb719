import type { AuditPage, AuditQuery, AuditSettings } from '@porthole/contracts';
import { InvalidError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { AuditContext } from './audit-context.js';
import type { AuditChange, AuditFilter, AuditRepo } from './audit-repo.js';
import { diff } from './audit-rules.js';
import { CSV_HEADER, csvLine, toAuditEntryView, toCsvLine } from './audit-view.js';

export const RETENTION_KEY = 'audit_retention_days';
export const DEFAULT_RETENTION_DAYS = 365;
const DAY_MS = 24 * 3600_000;

function encodeCursor(at: Date, id: number): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: number } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  const n = Number(id);
  if (Number.isNaN(date.getTime()) || !Number.isSafeInteger(n)) {
    throw new InvalidError('cursor: not a cursor this server handed out', { issues: [{ field: 'cursor' }] });
  }
  return { at: date, id: n };
}

function toFilter(q: AuditQuery): AuditFilter {
  const f: AuditFilter = {};
  if (q.actor) f.actor = q.actor;
  if (q.action) f.action = q.action;
  if (q.resourceType) f.resourceType = q.resourceType;
  if (q.resourceId) f.resourceId = q.resourceId;
  if (q.since) f.since = new Date(q.since);
  if (q.until) f.until = new Date(q.until);
  if (q.cursor) f.after = decodeCursor(q.cursor);
  return f;
}

/**
 * Where the retention setting lives (system-settings/system-settings-repo.ts), declared here
 * because that repository hands out this folder's AuditRepo.
 */
export interface SettingsStore {
  get<T>(key: string): Promise<T | undefined>;
  transaction<T>(
    work: (tx: { set(key: string, value: unknown): Promise<void> }, audit: AuditRepo) => Promise<T>,
  ): Promise<T>;
}

/** Reading the audit log, exporting it, and keeping it no longer than the retention setting. */
export class AuditService {
  constructor(private readonly deps: { audit: AuditRepo; settings: SettingsStore; clock: Clock }) {}

  /**
   * An entry for a change made outside any repository transaction of this process (session
   * launches and shares, whose writes span the agent): recorded once the change succeeded.
   */
  record(ctx: AuditContext, change: AuditChange): Promise<void> {
    return this.deps.audit.record(ctx, change);
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const limit = query.limit ?? 100;
    // One more than asked tells whether another page exists without a count.
    const rows = await this.deps.audit.list(toFilter(query), limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toAuditEntryView),
      nextCursor: rows.length > limit && last ? encodeCursor(last.at, last.id) : null,
    };
  }

  /** The CSV export, line by line, so the response streams instead of building in memory. */
  async *csv(query: Omit<AuditQuery, 'limit'>): AsyncGenerator<string> {
    const filter = toFilter(query);
    yield csvLine([...CSV_HEADER]);
    for await (const row of this.deps.audit.each(filter)) yield toCsvLine(row);
  }

  async settings(): Promise<AuditSettings> {
    const stored = await this.deps.settings.get<number>(RETENTION_KEY);
    return { retentionDays: typeof stored === 'number' && stored > 0 ? stored : DEFAULT_RETENTION_DAYS };
  }

  async updateSettings(ctx: AuditContext, next: AuditSettings): Promise<AuditSettings> {
    const before = await this.settings();
    await this.deps.settings.transaction(async (tx, audit) => {
      await tx.set(RETENTION_KEY, next.retentionDays);
      await audit.record(ctx, {
        action: 'system_settings.update',
        resourceType: 'system_settings',
        resourceId: RETENTION_KEY,
        diff: diff(before, next),
      });
    });
    return this.settings();
  }

  /** Deletes the entries older than the retention period; returns how many. */
  async purge(): Promise<number> {
    const { retentionDays } = await this.settings();
    return this.deps.audit.purgeBefore(new Date(this.deps.clock.now().getTime() - retentionDays * DAY_MS));
  }
}
