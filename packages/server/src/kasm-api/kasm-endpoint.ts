import type { ApiKeyPermission } from '@porthole/contracts';
import type { z } from 'zod';
import type { ApiKeyIdentity } from '../http/caller.js';

export interface KasmEndpoint<S extends z.ZodType = z.ZodType> {
  /** The path under /api/public/. */
  name: string;
  summary: string;
  /** The key needs one of these (global_admin always passes). */
  permissions: readonly ApiKeyPermission[];
  /** Writes are refused to read-only keys. */
  write: boolean;
  body: S;
  handle(input: z.infer<S>, key: ApiKeyIdentity): Promise<object>;
}

/** Keeps each entry's handler typed by its own body schema, then erases it for the table. */
export function endpoint<S extends z.ZodType>(e: KasmEndpoint<S>): KasmEndpoint {
  return e as unknown as KasmEndpoint;
}
