import { z } from 'zod';
import { nameSchema } from './common.js';

/**
 * What an API key may do. Names follow Kasm's developer-API permissions so keys configured for
 * Kasm map one to one; `global_admin` implies every other permission.
 */
export const apiKeyPermissions = [
  'user',
  'global_admin',
  'users_view',
  'users_create',
  'users_modify',
  'users_delete',
  'users_auth_session',
  'sessions_view',
  'sessions_modify',
  'images_view',
  'groups_modify',
  'zones_view',
  'staging_view',
  'staging_create',
  'staging_modify',
  'staging_delete',
] as const;
export const apiKeyPermissionSchema = z.enum(apiKeyPermissions);
export type ApiKeyPermission = z.infer<typeof apiKeyPermissionSchema>;

const expiresAtSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2030-01-01T00:00:00Z' })
  .nullable();

export const apiKeyCreateSchema = z
  .object({
    name: nameSchema,
    permissions: z.array(apiKeyPermissionSchema).max(apiKeyPermissions.length * 2),
    /** Unset or null: the key never expires. */
    expiresAt: expiresAtSchema.optional(),
    /** A read-only key may only read, whatever its permissions say. */
    readOnly: z.boolean().optional(),
  })
  .strict();
export type ApiKeyCreate = z.infer<typeof apiKeyCreateSchema>;

export const apiKeyUpdateSchema = apiKeyCreateSchema.partial().strict();
export type ApiKeyUpdate = z.infer<typeof apiKeyUpdateSchema>;

/**
 * A key as listed: never its secret. `api_key` keeps Kasm's name because it is the value a
 * client sends (`api_key` in a developer-API body, or the user part of Basic/Bearer credentials).
 */
export const apiKeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  api_key: z.string(),
  permissions: z.array(apiKeyPermissionSchema),
  readOnly: z.boolean(),
  expiresAt: z.string().nullable(),
  expired: z.boolean(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

/** The answer to a create: the only time the secret is shown. */
export const apiKeyCreatedSchema = apiKeyViewSchema.extend({ api_key_secret: z.string() });
export type ApiKeyCreated = z.infer<typeof apiKeyCreatedSchema>;
