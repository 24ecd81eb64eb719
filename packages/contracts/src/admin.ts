import { z } from 'zod';
import { passwordSchema, usernameSchema, userViewSchema } from './auth.js';
import { idSchema, nameSchema } from './common.js';
import { groupSettingsSchema } from './group-settings.js';

// Users
export const adminUserViewSchema = userViewSchema.extend({
  groupIds: z.array(z.string()),
  sessionCount: z.number().int(),
});
export type AdminUserView = z.infer<typeof adminUserViewSchema>;

export const userCreateSchema = z
  .object({
    username: usernameSchema,
    password: passwordSchema,
    displayName: z.string().trim().max(128).optional(),
    groupIds: z.array(idSchema).max(100).optional(),
    locked: z.boolean().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export type UserCreate = z.infer<typeof userCreateSchema>;

export const userUpdateSchema = z
  .object({
    username: usernameSchema.optional(),
    password: passwordSchema.optional(),
    displayName: z.string().trim().max(128).optional(),
    groupIds: z.array(idSchema).max(100).optional(),
    locked: z.boolean().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export type UserUpdate = z.infer<typeof userUpdateSchema>;

// Groups
export const groupViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  priority: z.number().int(),
  settings: groupSettingsSchema,
  systemRole: z.enum(['administrators', 'all_users']).nullable(),
  memberIds: z.array(z.string()),
  imageIds: z.array(z.string()),
  createdAt: z.string(),
});
export type GroupView = z.infer<typeof groupViewSchema>;

export const groupCreateSchema = z
  .object({
    name: nameSchema,
    description: z.string().max(1000).optional(),
    priority: z.number().int().min(0).max(100_000).optional(),
    settings: groupSettingsSchema.optional(),
    memberIds: z.array(idSchema).max(10_000).optional(),
    imageIds: z.array(idSchema).max(1000).optional(),
  })
  .strict();
export type GroupCreate = z.infer<typeof groupCreateSchema>;
export const groupUpdateSchema = groupCreateSchema.partial().strict();
export type GroupUpdate = z.infer<typeof groupUpdateSchema>;

// Zones
export const zoneViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  isDefault: z.boolean(),
  searchAlternateZones: z.boolean(),
  agentCount: z.number().int(),
  createdAt: z.string(),
});
export type ZoneView = z.infer<typeof zoneViewSchema>;
export const zoneCreateSchema = z
  .object({ name: nameSchema, searchAlternateZones: z.boolean().optional() })
  .strict();
export const zoneUpdateSchema = zoneCreateSchema.partial().strict();
export type ZoneCreate = z.infer<typeof zoneCreateSchema>;
export type ZoneUpdate = z.infer<typeof zoneUpdateSchema>;

// Workspaces (images)
/** Only these container settings may be overridden per image: nothing that weakens isolation. */
export const runConfigSchema = z
  .object({
    environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(4096)).optional(),
    hostname: z.string().max(63).optional(),
    dns: z.array(z.string().max(64)).max(8).optional(),
    extraHosts: z.array(z.string().max(256)).max(32).optional(),
    pidsLimit: z.number().int().min(64).max(65_536).optional(),
    readOnlyRootfs: z.boolean().optional(),
    volumes: z
      .array(
        z.object({
          source: z.string().min(1).max(4096),
          target: z.string().regex(/^\//, 'must be an absolute path').max(4096),
          readOnly: z.boolean().optional(),
        }),
      )
      .max(16)
      .optional(),
  })
  .strict();
export type RunConfig = z.infer<typeof runConfigSchema>;

export const execConfigSchema = z
  .object({
    firstLaunch: z
      .object({
        cmd: z.string().min(1).max(4096),
        user: z.string().max(64).optional(),
        workdir: z.string().max(4096).optional(),
        environment: z.record(z.string(), z.string().max(4096)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ExecConfig = z.infer<typeof execConfigSchema>;

export const dockerImageRefSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(255)
  .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, 'must be a Docker image reference such as porthole/firefox:latest');

export const imageViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  friendlyName: z.string(),
  description: z.string(),
  dockerImage: z.string(),
  cores: z.number(),
  memoryMb: z.number().int(),
  shmMb: z.number().int(),
  gpuCount: z.number().int(),
  network: z.string().nullable(),
  zoneId: z.string().nullable(),
  agentId: z.string().nullable(),
  enabled: z.boolean(),
  categories: z.array(z.string()),
  icon: z.string().nullable(),
  runConfig: runConfigSchema,
  execConfig: execConfigSchema,
  groupIds: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ImageView = z.infer<typeof imageViewSchema>;

export const imageCreateSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes'),
    friendlyName: nameSchema,
    description: z.string().max(2000).optional(),
    dockerImage: dockerImageRefSchema,
    cores: z.number().min(0.1, 'must be at least 0.1').max(256),
    memoryMb: z.number().int().min(64, 'must be at least 64').max(1_048_576),
    shmMb: z.number().int().min(0).max(65_536).optional(),
    gpuCount: z.literal(0, 'GPUs are not supported yet').optional(),
    network: z.string().trim().max(128).nullable().optional(),
    zoneId: idSchema.nullable().optional(),
    agentId: idSchema.nullable().optional(),
    enabled: z.boolean().optional(),
    categories: z.array(z.string().trim().min(1).max(64)).max(32).optional(),
    icon: z.string().max(65_536).nullable().optional(),
    runConfig: runConfigSchema.optional(),
    execConfig: execConfigSchema.optional(),
    groupIds: z.array(idSchema).max(1000).optional(),
  })
  .strict();
export type ImageCreate = z.infer<typeof imageCreateSchema>;
export const imageUpdateSchema = imageCreateSchema.partial().strict();
export type ImageUpdate = z.infer<typeof imageUpdateSchema>;

/** What a user sees in the launcher (`GET /api/workspaces`). */
export const workspaceViewSchema = imageViewSchema.pick({
  id: true,
  name: true,
  friendlyName: true,
  description: true,
  categories: true,
  icon: true,
  cores: true,
  memoryMb: true,
});
export type WorkspaceView = z.infer<typeof workspaceViewSchema>;
