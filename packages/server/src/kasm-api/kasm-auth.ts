import type { ApiKeyPermission } from '@porthole/contracts';
import type { ApiKeyService } from '../api-keys/api-key-service.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { type ApiKeyIdentity, keyMay } from '../http/caller.js';

export interface KasmCredentials {
  apiKey: string;
  secret: string;
}

function fromBasic(authorization: string | undefined): KasmCredentials | undefined {
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { apiKey: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function fromBody(body: unknown): KasmCredentials | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { api_key: apiKey, api_key_secret: secret } = body as Record<string, unknown>;
  if (typeof apiKey !== 'string' || typeof secret !== 'string') return undefined;
  return { apiKey, secret };
}

/** Kasm's two ways: `api_key` + `api_key_secret` in the JSON body, or HTTP Basic `key:secret`. */
export async function authenticateKasm(
  keys: Pick<ApiKeyService, 'authenticate'>,
  authorization: string | undefined,
  body: unknown,
): Promise<ApiKeyIdentity> {
  const credentials = fromBody(body) ?? fromBasic(authorization);
  if (!credentials) {
    throw new UnauthorizedError(
      'api_key and api_key_secret are required, in the JSON body or as HTTP Basic credentials',
    );
  }
  return keys.authenticate(credentials.apiKey, credentials.secret);
}

/** The key must hold one of `anyOf` (global_admin holds all), and be writable for a write. */
export function authorizeKasm(
  key: ApiKeyIdentity,
  endpoint: string,
  anyOf: readonly ApiKeyPermission[],
  write: boolean,
): void {
  if (!keyMay(key, anyOf)) {
    throw new ForbiddenError(`${endpoint} needs one of these API key permissions: ${anyOf.join(', ')}`);
  }
  if (write && key.readOnly)
    throw new ForbiddenError(`${endpoint} changes data and this API key is read-only`);
}
