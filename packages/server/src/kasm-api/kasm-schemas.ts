import { passwordSchema, sessionEnvironmentSchema, usernameSchema } from '@porthole/contracts';
import { z } from 'zod';
import { kasmIdSchema } from './kasm-format.js';

// Request bodies of the Kasm-compatible developer API. Objects are not strict: Kasm clients send
// their credentials (`api_key`, `api_key_secret`) and fields Porthole has no use for in the body.

const envSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  z.string().max(4096),
);

export const emptyBody = z.object({});

export const requestKasmBody = z.object({
  user_id: kasmIdSchema,
  image_id: kasmIdSchema,
  enable_sharing: z.boolean().optional(),
  kasm_url: z.url({ error: 'must be a URL' }).max(4096).optional(),
  /** Extra variables for the container; reserved names are refused by the session service. */
  environment: sessionEnvironmentSchema.optional(),
});

export const kasmStatusBody = z.object({
  kasm_id: kasmIdSchema,
  user_id: kasmIdSchema.optional(),
  skip_agent_check: z.boolean().optional(),
});

export const kasmIdBody = z.object({ kasm_id: kasmIdSchema, user_id: kasmIdSchema.optional() });

export const userKasmsBody = z.object({ user_id: kasmIdSchema });

export const joinKasmBody = z.object({
  share_id: z.string().trim().min(1, 'is required').max(128),
  user_id: kasmIdSchema,
});

export const execKasmBody = z.object({
  kasm_id: kasmIdSchema,
  user_id: kasmIdSchema.optional(),
  exec_config: z.object(
    {
      cmd: z.string({ error: 'is required' }).min(1, 'must not be empty').max(8192),
      environment: envSchema.optional(),
      workdir: z.string().max(4096).optional(),
      user: z.string().max(64).optional(),
      privileged: z.literal(false, 'privileged commands are not supported').optional(),
    },
    { error: 'is required: {cmd, environment?, workdir?, user?}' },
  ),
});

export const targetUserRef = z
  .object(
    { user_id: kasmIdSchema.optional(), username: z.string().trim().min(1).max(254).optional() },
    { error: 'is required: {user_id} or {username}' },
  )
  .refine((t) => t.user_id !== undefined || t.username !== undefined, 'user_id or username is required');

export const targetUserBody = z.object({ target_user: targetUserRef });

export const deleteUserBody = z.object({ target_user: targetUserRef, force: z.boolean().optional() });

const personFields = {
  first_name: z.string().trim().max(64).optional(),
  last_name: z.string().trim().max(64).optional(),
  locked: z.boolean().optional(),
  disabled: z.boolean().optional(),
  // Accepted for Kasm compatibility; Porthole keeps no such fields.
  organization: z.string().max(256).nullable().optional(),
  phone: z.string().max(64).nullable().optional(),
  notes: z.string().max(4096).nullable().optional(),
};

export const createUserBody = z.object({
  target_user: z.object(
    {
      username: usernameSchema,
      /** Unset: a random password; the user signs in through `kasm_url` links. */
      password: passwordSchema.optional(),
      ...personFields,
    },
    { error: 'is required: {username, password?, first_name?, last_name?, …}' },
  ),
});

export const updateUserBody = z.object({
  target_user: z.object(
    {
      user_id: kasmIdSchema,
      username: usernameSchema.optional(),
      password: passwordSchema.optional(),
      ...personFields,
    },
    { error: 'is required: {user_id, …changes}' },
  ),
});

export const userGroupBody = z.object({
  target_user: z.object({ user_id: kasmIdSchema }, { error: 'is required: {user_id}' }),
  target_group: z.object({ group_id: kasmIdSchema }, { error: 'is required: {group_id}' }),
});

export type RequestKasmBody = z.infer<typeof requestKasmBody>;
export type KasmStatusBody = z.infer<typeof kasmStatusBody>;
export type KasmIdBody = z.infer<typeof kasmIdBody>;
export type ExecKasmBody = z.infer<typeof execKasmBody>;
export type TargetUserRef = z.infer<typeof targetUserRef>;
export type CreateUserBody = z.infer<typeof createUserBody>;
export type UpdateUserBody = z.infer<typeof updateUserBody>;
export type UserGroupBody = z.infer<typeof userGroupBody>;
