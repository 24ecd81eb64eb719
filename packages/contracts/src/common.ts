import { z } from 'zod';

export const idSchema = z.string().uuid('must be a UUID');
export const idParamsSchema = z.object({ id: idSchema });

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters');
