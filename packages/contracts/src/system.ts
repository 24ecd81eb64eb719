import { z } from 'zod';

export const databaseKindSchema = z.enum(['embedded', 'postgres']);
export const busKindSchema = z.enum(['memory', 'redis']);

export const healthResponseSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  database: databaseKindSchema,
  bus: busKindSchema,
  reason: z.string().optional(),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;

export const systemInfoSchema = z.object({
  installationId: z.string().uuid(),
  version: z.string(),
  uptimeSeconds: z.number().int().nonnegative(),
  database: databaseKindSchema,
  bus: busKindSchema,
  startedAt: z.string(),
});
export type SystemInfo = z.infer<typeof systemInfoSchema>;
