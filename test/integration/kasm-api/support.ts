import type { ApiKeyCreated, ApiKeyPermission } from '@porthole/contracts';
import { expect } from 'vitest';
import { type ApiClient, http } from '../../support/http.js';

export {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  adminClient,
  createTestDatabase,
  startTestServer,
  type TestServer,
} from '../admin/support.js';

export interface KeyOptions {
  readOnly?: boolean;
  expiresAt?: string;
  name?: string;
}

/** A new API key through the admin API (the signed-in admin client). */
export async function createKey(
  admin: ApiClient,
  permissions: ApiKeyPermission[],
  options: KeyOptions = {},
): Promise<ApiKeyCreated> {
  const r = await admin.post<ApiKeyCreated>('/api/admin/api-keys', {
    name: options.name ?? `key ${permissions.join('+') || 'none'}`,
    permissions,
    ...(options.readOnly !== undefined ? { readOnly: options.readOnly } : {}),
    ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

export interface Credentials {
  api_key: string;
  api_key_secret: string;
}

export interface KasmReply {
  status: number;
  // The developer API answers free-form JSON; tests read what they check.
  body: Record<string, unknown> & { error_message?: string };
}

/** Calls the developer API with the shared HTTP client, credentials in the body (Kasm's way) or as Basic. */
export class KasmClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: Credentials,
  ) {}

  async call(endpoint: string, body: unknown = {}, how: 'body' | 'basic' = 'body'): Promise<KasmReply> {
    return kasmCall(this.baseUrl, endpoint, body, how === 'body' ? { body: this.key } : { basic: this.key });
  }
}

export async function kasmCall(
  baseUrl: string,
  endpoint: string,
  body: unknown,
  auth: { body?: Credentials; basic?: Credentials } = {},
): Promise<KasmReply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.basic) {
    const pair = `${auth.basic.api_key}:${auth.basic.api_key_secret}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  const payload =
    auth.body && typeof body === 'object' && body !== null && !Array.isArray(body)
      ? { ...auth.body, ...body }
      : body;
  // Stringified here, so a string body goes as a JSON string, as Kasm clients send it.
  const res = await http(`${baseUrl}/api/public/${endpoint}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: res.text ? res.json<KasmReply['body']>() : {} };
}

export function bearer(key: Credentials): Record<string, string> {
  return { authorization: `Bearer ${key.api_key}:${key.api_key_secret}` };
}

/** A Kasm id (32 hex) from a UUID. */
export const hex = (uuid: string) => uuid.replace(/-/g, '');
