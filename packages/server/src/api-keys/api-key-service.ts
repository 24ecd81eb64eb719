import {
  type ApiKeyCreate,
  type ApiKeyCreated,
  type ApiKeyPermission,
  type ApiKeyUpdate,
  type ApiKeyView,
  apiKeyPermissions,
} from '@porthole/contracts';
import type { AuditContext } from '../audit/audit-context.js';
import { diff, without } from '../audit/audit-rules.js';
import { invalidField, NotFoundError, UnauthorizedError } from '../errors.js';
import type { ApiKeyIdentity } from '../http/caller.js';
import type { Clock } from '../platform/clock.js';
import { newId, randomToken, safeEqual, sha256 } from '../platform/crypto.js';
import type { ApiKeyFields, ApiKeyRepo, ApiKeyRow } from './api-key-repo.js';

const TOUCH_EVERY_MS = 60_000;
const known = new Set<string>(apiKeyPermissions);

/** Stored permissions in catalogue order, once each; names a later version dropped are ignored. */
function permissionsOf(raw: readonly string[]): ApiKeyPermission[] {
  const held = new Set(raw.filter((p) => known.has(p)));
  return apiKeyPermissions.filter((p) => held.has(p));
}

function isExpired(row: ApiKeyRow, now: Date): boolean {
  return row.expires_at !== null && row.expires_at <= now;
}

/** Developer API keys: created by administrators, the secret shown once and stored hashed. */
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepo,
    private readonly clock: Clock,
  ) {}

  toView(row: ApiKeyRow): ApiKeyView {
    return {
      id: row.id,
      name: row.name,
      api_key: row.api_key,
      permissions: permissionsOf(row.permissions),
      readOnly: row.read_only,
      expiresAt: row.expires_at?.toISOString() ?? null,
      expired: isExpired(row, this.clock.now()),
      createdAt: row.created_at.toISOString(),
      createdBy: row.created_by,
      lastUsedAt: row.last_used_at?.toISOString() ?? null,
    };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.keys.list()).map((r) => this.toView(r));
  }

  async get(id: string): Promise<ApiKeyView> {
    const row = await this.keys.find(id);
    if (!row) throw new NotFoundError(`no API key ${id}`);
    return this.toView(row);
  }

  /** A key as the audit log compares it: never its secret (only the hash is stored anyway). */
  private snapshot(row: ApiKeyRow | undefined): Record<string, unknown> | null {
    return row ? without(this.toView(row), 'expired', 'lastUsedAt', 'createdAt') : null;
  }

  async create(createdBy: string | null, input: ApiKeyCreate, ctx: AuditContext): Promise<ApiKeyCreated> {
    const now = this.clock.now();
    const fields: ApiKeyFields = {
      name: input.name,
      permissions: permissionsOf(input.permissions),
      read_only: input.readOnly ?? false,
      expires_at: this.expiry(input.expiresAt),
    };
    const id = newId();
    // 96 bits of public id (what the key is looked up by) and 256 bits of secret.
    const apiKey = randomToken(12);
    const secret = randomToken(32);
    await this.keys.transaction(async (tx, audit) => {
      await tx.insert({ id, apiKey, secretHash: sha256(secret), createdBy, now, fields });
      await audit.record(ctx, {
        action: 'api_key.create',
        resourceType: 'api_key',
        resourceId: id,
        diff: diff(null, this.snapshot(await tx.find(id))),
      });
    });
    return { ...(await this.get(id)), api_key_secret: secret };
  }

  async update(id: string, patch: ApiKeyUpdate, ctx: AuditContext): Promise<ApiKeyView> {
    const set: Partial<ApiKeyFields> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.permissions !== undefined) set.permissions = permissionsOf(patch.permissions);
    if (patch.readOnly !== undefined) set.read_only = patch.readOnly;
    if (patch.expiresAt !== undefined) set.expires_at = this.expiry(patch.expiresAt);
    await this.keys.transaction(async (tx, audit) => {
      const before = this.snapshot(await tx.find(id));
      if (!(await tx.update(id, set, this.clock.now()))) throw new NotFoundError(`no API key ${id}`);
      await audit.record(ctx, {
        action: 'api_key.update',
        resourceType: 'api_key',
        resourceId: id,
        diff: diff(before, this.snapshot(await tx.find(id))),
      });
    });
    return this.get(id);
  }

  async delete(id: string, ctx: AuditContext): Promise<void> {
    await this.keys.transaction(async (tx, audit) => {
      const before = this.snapshot(await tx.find(id));
      if (!(await tx.delete(id))) throw new NotFoundError(`no API key ${id}`);
      await audit.record(ctx, {
        action: 'api_key.delete',
        resourceType: 'api_key',
        resourceId: id,
        diff: diff(before, null),
      });
    });
  }

  /** The key behind a key/secret pair; a wrong, unknown or expired pair is an UnauthorizedError. */
  async authenticate(apiKey: string, secret: string): Promise<ApiKeyIdentity> {
    if (apiKey.length === 0 || apiKey.length > 64 || secret.length === 0 || secret.length > 256) {
      throw new UnauthorizedError('invalid API key or secret');
    }
    const row = await this.keys.findByKey(apiKey);
    // Hash even for unknown keys so both answers take the same time.
    const presented = sha256(secret);
    if (!row || !safeEqual(row.secret_hash, presented))
      throw new UnauthorizedError('invalid API key or secret');
    const now = this.clock.now();
    if (isExpired(row, now)) throw new UnauthorizedError('this API key has expired');
    if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > TOUCH_EVERY_MS) {
      await this.keys.touch(row.id, now);
    }
    return {
      id: row.id,
      name: row.name,
      permissions: permissionsOf(row.permissions),
      readOnly: row.read_only,
    };
  }

  private expiry(value: string | null | undefined): Date | null {
    if (value === undefined || value === null) return null;
    const at = new Date(value);
    if (at <= this.clock.now()) throw invalidField('expiresAt', 'must be in the future');
    return at;
  }
}
