import type { z } from 'zod';
import { InvalidError } from '../errors.js';

export interface FieldIssue {
  field: string;
  message: string;
}

/** Validates a request part with a contracts schema; a failure names the field in the message. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, part = 'body'): z.infer<S> {
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
