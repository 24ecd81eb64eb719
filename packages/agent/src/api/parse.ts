import { invalidField } from '../util/errors.js';

interface Issue {
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

interface SchemaLike<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: Issue[] } };
}

/** "volumes[1].source" from ["volumes", 1, "source"]. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Validates with a contracts schema; a failure is a 400 that names the first offending field. */
export function parseWith<T>(schema: SchemaLike<T>, value: unknown, part = 'body'): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw invalidField(part, 'is not valid');
  // Unknown keys (strict schemas) are reported on the parent; name the key itself.
  const unknownKey = issue.keys?.[0];
  const path = unknownKey ? [...issue.path, unknownKey] : issue.path;
  return failField(path.length > 0 ? fieldPath(path) : part, issue.message);
}

function failField(field: string, message: string): never {
  throw invalidField(field, message);
}
