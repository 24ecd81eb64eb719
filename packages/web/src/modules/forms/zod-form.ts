import type { z } from 'zod';
import { ApiError } from '../../api/client';

export type FieldErrors = Record<string, string>;

/** A zod failure as one message per field, keyed like the server's `details.issues[].field`. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '_form';
    if (!(field in out)) out[field] = issue.message;
  }
  return out;
}

export type Validated<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/** Validates what a form is about to send with the same schema the API uses. */
export function validateWith<S extends z.ZodType>(schema: S, payload: unknown): Validated<z.infer<S>> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, data: parsed.data };
  return { ok: false, errors: zodFieldErrors(parsed.error) };
}

/**
 * Field errors from a failed request, for the fields the form shows; issues the form has no field
 * for come back as `rest` so they can be shown above the buttons instead of being lost.
 */
export function apiFieldErrors(
  error: unknown,
  knownFields: readonly string[],
): { fields: FieldErrors; rest: string[] } {
  const fields: FieldErrors = {};
  const rest: string[] = [];
  if (!(error instanceof ApiError)) return { fields, rest };
  for (const issue of error.fieldIssues) {
    const known = knownFields.find((f) => issue.field === f || issue.field.startsWith(`${f}.`));
    if (!known) {
      rest.push(`${issue.field}: ${issue.message}`);
      continue;
    }
    // Nested issues keep their own key (for editors that show them in place) and mark the parent.
    if (!(issue.field in fields)) fields[issue.field] = issue.message;
    if (known !== issue.field && !(known in fields))
      fields[known] = `${issue.field.slice(known.length + 1)}: ${issue.message}`;
  }
  return { fields, rest };
}
