import type { AuditEntryView } from '@porthole/contracts';
import type { AuditRow } from './audit-repo.js';

export function toAuditEntryView(row: AuditRow): AuditEntryView {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    address: row.address,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    diff: row.diff as AuditEntryView['diff'],
    details: row.details,
  };
}

export const CSV_HEADER = [
  'id',
  'at',
  'actor_type',
  'actor_id',
  'actor_name',
  'address',
  'action',
  'resource_type',
  'resource_id',
  'diff',
  'details',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break, quotes doubled.
 * A leading = + - @ is prefixed with ' so a spreadsheet opening the export does not run it as a
 * formula (a username is chosen by whoever signs in, or fails to).
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(fields: ReadonlyArray<string | null>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function toCsvLine(row: AuditRow): string {
  return csvLine([
    String(row.id),
    row.at.toISOString(),
    row.actor_type,
    row.actor_id,
    row.actor_name,
    row.address,
    row.action,
    row.resource_type,
    row.resource_id,
    JSON.stringify(row.diff),
    JSON.stringify(row.details),
  ]);
}
