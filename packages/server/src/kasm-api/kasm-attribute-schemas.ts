import { groupSettingNames } from '@porthole/contracts';
import { z } from 'zod';
import { kasmIdSchema } from './kasm-format.js';
import { targetUserRef } from './kasm-schemas.js';

// Bodies of the user attribute and permission endpoints. Both name things (attributes,
// permissions) that Porthole mostly keeps elsewhere or not at all; every name Porthole cannot
// store is refused here, with where Porthole keeps that concern instead, never dropped.

/** Kasm's per-user attributes; Porthole keeps none of them (the docs say why, one by one). */
export const KASM_USER_ATTRIBUTES = [
  'default_image',
  'show_tips',
  'toggle_control_panel',
  'auto_login_kasm',
  'chat_sfx',
  'theme',
  'preferred_language',
  'preferred_timezone',
  'ssh_public_key',
] as const;

const GROUP_SETTINGS = new Set<string>(groupSettingNames);
const KASM_ATTRIBUTES = new Set<string>(KASM_USER_ATTRIBUTES);

function attributeRefusal(name: string): string {
  if (KASM_ATTRIBUTES.has(name)) return 'Porthole keeps no such per-user attribute; it cannot be stored';
  if (GROUP_SETTINGS.has(name)) {
    return 'is a group setting in Porthole: set it on a group the user belongs to (the lowest priority number wins)';
  }
  return 'no such user attribute';
}

export const updateAttributesBody = z.object({
  target_user_attributes: z
    .object({ user_id: kasmIdSchema }, { error: 'is required: {user_id, …attributes}' })
    .catchall(z.unknown())
    .superRefine((attrs, ctx) => {
      for (const name of Object.keys(attrs)) {
        if (name === 'user_id') continue;
        ctx.addIssue({ code: 'custom', path: [name], message: attributeRefusal(name) });
      }
    }),
});

/** The Kasm permission names Porthole can hold per user (see kasm-user-settings.ts). */
export const USER_PERMISSIONS = ['global_admin', 'user'] as const;
export type UserPermissionName = (typeof USER_PERMISSIONS)[number];

const permissionName = z
  .string({ error: 'is required and must be a string' })
  .trim()
  .min(1, 'is required')
  .max(128)
  .superRefine((name, ctx) => {
    if ((USER_PERMISSIONS as readonly string[]).includes(name)) return;
    ctx.addIssue({
      code: 'custom',
      message:
        `Porthole has no per-user permission ${name}: a user is either an administrator ` +
        '(global_admin, through the Administrators group) or not (user); finer rights are group settings ' +
        'and API key permissions',
    });
  })
  .transform((name) => name as UserPermissionName);

export const userPermissionBody = z.object({
  target_user: targetUserRef,
  target_permission: z.object(
    { permission_name: permissionName },
    { error: 'is required: {permission_name}' },
  ),
});

export type UpdateAttributesBody = z.infer<typeof updateAttributesBody>;
export type UserPermissionBody = z.infer<typeof userPermissionBody>;
