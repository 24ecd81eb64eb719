import { z } from 'zod';

/**
 * Every action the audit log records, `<resource>.<verb>`. The server writes nothing else (a
 * CHECK on the table holds the shape, this list the names), and docs/operations.md lists them.
 */
export const auditActions = [
  'user.create',
  'user.update',
  'user.delete',
  'group.create',
  'group.update',
  'group.delete',
  'image.create',
  'image.update',
  'image.delete',
  'agent.update',
  'agent.drain',
  'agent.delete',
  'agent.registration_token.rotate',
  'zone.create',
  'zone.update',
  'zone.delete',
  'staging.create',
  'staging.update',
  'staging.delete',
  'api_key.create',
  'api_key.update',
  'api_key.delete',
  'system_settings.update',
  'auth.sign_in',
  'auth.sign_in_failed',
  'auth.sign_out',
  'session.launch',
  'session.delete',
  'session.share_enable',
  'session.share_disable',
  'session.join',
  'session.kick',
] as const;
export type AuditAction = (typeof auditActions)[number];

export const auditActorTypes = ['user', 'api_key', 'anonymous', 'system'] as const;
export type AuditActorType = (typeof auditActorTypes)[number];

/** One changed field: what it was and what it became (a secret's value reads `[redacted]`). */
export const auditChangeSchema = z.object({ before: z.unknown(), after: z.unknown() });

export const auditEntryViewSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({
    type: z.enum(auditActorTypes),
    id: z.string().nullable(),
    name: z.string(),
  }),
  address: z.string().nullable(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string().nullable(),
  diff: z.record(z.string(), auditChangeSchema),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntryView = z.infer<typeof auditEntryViewSchema>;

const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });

/** The filters of `GET /api/admin/audit` and `GET /api/admin/audit.csv` (query strings). */
export const auditQuerySchema = z
  .object({
    /** An actor id (user or API key id) or an actor name (username, key name). */
    actor: z.string().min(1).max(200).optional(),
    action: z.string().min(1).max(100).optional(),
    resourceType: z.string().min(1).max(100).optional(),
    resourceId: z.string().min(1).max(200).optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    /** `nextCursor` of the previous page. */
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditPageSchema = z.object({
  items: z.array(auditEntryViewSchema),
  /** Null on the last page. */
  nextCursor: z.string().nullable(),
});
export type AuditPage = z.infer<typeof auditPageSchema>;

export const auditSettingsSchema = z.object({ retentionDays: z.number().int() });
export type AuditSettings = z.infer<typeof auditSettingsSchema>;

export const auditSettingsUpdateSchema = z
  .object({ retentionDays: z.number().int().min(1).max(36_500) })
  .strict();
export type AuditSettingsUpdate = z.infer<typeof auditSettingsUpdateSchema>;
