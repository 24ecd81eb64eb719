import type { z } from 'zod';
import { InvalidError } from '../errors.js';

export interface FieldIssue {
  field: string;
  message: string;
}

/** No API body nests this deep; deeper input is refused before it is walked further. */
const MAX_DEPTH = 64;

/**
 * The first string (value or key) holding a NUL character, or the first level past MAX_DEPTH.
 * PostgreSQL cannot store U+0000 in text or jsonb, so such input would fail at the database as a
 * 500, possibly after part of a request's work; it is refused up front as a 400 instead.
 */
function unstorable(value: unknown, path: string[], depth = 0): FieldIssue | null {
  const field = () => (path.length > 0 ? path.join('.') : '');
  if (typeof value === 'string')
    return value.includes('\0')
      ? { field: field(), message: 'must not contain NUL (\\u0000) characters' }
      : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_DEPTH) return { field: field(), message: `is nested more than ${MAX_DEPTH} levels deep` };
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\0'))
      return { field: [...path, key].join('.'), message: 'must not contain NUL (\\u0000) characters' };
    const found = unstorable(child, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

/** Validates a request part with a contracts schema; a failure names the field in the message. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, part = 'body'): z.infer<S> {
  const bad = unstorable(value, []);
  if (bad) {
    const issue = { field: bad.field || part, message: bad.message };
    throw new InvalidError(`${issue.field}: ${issue.message}`, { issues: [issue] });
  }
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((i) => ({
    field: i.path.length > 0 ? i.path.join('.') : part,
    message: i.message,
  }));
  const first = issues[0];
  const message = first ? `${first.field}: ${first.message}` : `invalid ${part}`;
  throw new InvalidError(message, { issues });
}
