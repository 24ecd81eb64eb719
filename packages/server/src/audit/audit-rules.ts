/**
 * What may go into the audit log. Every entry passes `redact` on its way into the table
 * (audit-repo.ts), so a secret that slips into a diff or a detail is still never stored.
 */

export const REDACTED = '[redacted]';

/**
 * The secret fields the platform knows, as they are spelt in rows, views and bodies. Matching
 * ignores case and `_`/`-`, so `password_hash`, `passwordHash` and `PASSWORD-HASH` are one name.
 */
export const SECRET_FIELD_NAMES = [
  'password',
  'password_hash',
  'new_password',
  'api_key_secret',
  'secret',
  'secret_hash',
  'token',
  'token_hash',
  'session_token_hash',
  'registration_token',
  'agent_registration_token',
  'agent_secret',
  'grant_key',
  'grant_signing_key',
  'private_key',
] as const;

const normalise = (name: string) => name.toLowerCase().replace(/[_-]/g, '');
const secretNames = new Set(SECRET_FIELD_NAMES.map(normalise));
// Names no one has listed yet but that can only hold secrets (e.g. a future `oauthClientSecret`).
const secretPattern = /password|secret|token|privatekey|signingkey|grantkey/;

export function isSecretField(name: string): boolean {
  const n = normalise(name);
  return secretNames.has(n) || secretPattern.test(n);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text Postgres can hold: a NUL or a lone surrogate (a hostile user name, say) would make the
 * audit insert fail, and with it the change or the answer it records. Each becomes U+FFFD.
 */
export function storable(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\0', '\uFFFD');
}

/** A copy of `value` with every secret field's value replaced by `[redacted]`, at any depth. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  // Hashes and keys travel as bytes; no byte string belongs in the log, whatever its name.
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return REDACTED;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storable(k)] = isSecretField(k) ? REDACTED : redact(v);
    return out;
  }
  return value;
}

export interface AuditFieldChange {
  before: unknown;
  after: unknown;
}
export type AuditDiff = Record<string, AuditFieldChange>;

const same = (a: unknown, b: unknown) => JSON.stringify(redact(a)) === JSON.stringify(redact(b));

/**
 * The fields that differ between two states of a resource; `null` is "did not exist", so a
 * create lists every field with `before: null` and a delete every field with `after: null`.
 * A secret that changed shows as `[redacted]` on both sides: the log says it changed, never to what.
 */
export function diff(
  before: Readonly<Record<string, unknown>> | null | undefined,
  after: Readonly<Record<string, unknown>> | null | undefined,
): AuditDiff {
  const out: AuditDiff = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of [...keys].sort()) {
    const b = before ? (before[key] ?? null) : null;
    const a = after ? (after[key] ?? null) : null;
    if (same(b, a)) continue;
    out[key] = { before: b, after: a };
  }
  return redactDiff(out);
}

const mask = (v: unknown) => (v === null || v === undefined ? null : REDACTED);

/** `redact` for a diff: a secret field keeps its before/after shape, both sides masked. */
export function redactDiff(d: AuditDiff): AuditDiff {
  const out: AuditDiff = {};
  for (const [key, change] of Object.entries(d)) {
    out[key] = isSecretField(key)
      ? { before: mask(change.before), after: mask(change.after) }
      : { before: redact(change.before), after: redact(change.after) };
  }
  return out;
}

/** Drops fields that change on their own (counters, timestamps) from a view before diffing. */
export function without<T extends Record<string, unknown>>(
  value: T,
  ...keys: string[]
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const k of keys) delete out[k];
  return out;
}
