import type { ApiKeyPermission } from '@porthole/contracts';

/** Who calls when a request carries an API key: the key, never a user. */
export interface ApiKeyIdentity {
  id: string;
  name: string;
  permissions: readonly ApiKeyPermission[];
  readOnly: boolean;
}

/**
 * The user id an API-key caller carries: the nil UUID, which names no user. Anything that needs
 * a real user goes through `requireUser`, which refuses keys; the value only keeps admin code
 * that compares ids (e.g. "you cannot delete yourself") and uuid columns safe.
 */
export const API_KEY_USER_ID = '00000000-0000-0000-0000-000000000000';

/** Whether the key holds one of `anyOf`; `global_admin` holds them all. */
export function keyMay(key: ApiKeyIdentity, anyOf: readonly ApiKeyPermission[]): boolean {
  return key.permissions.includes('global_admin') || anyOf.some((p) => key.permissions.includes(p));
}
