import { type UseFormReturnType, useForm } from '@mantine/form';
import { useState } from 'react';
import type { z } from 'zod';
import { apiFieldErrors, validateWith } from './zod-form';

interface Options<V extends Record<string, unknown>, S extends z.ZodType> {
  schema: S;
  initialValues: V;
  /** Form values → the request body (trim, drop empty optionals, parse numbers). */
  toPayload: (values: V) => unknown;
  onSubmit: (payload: z.infer<S>) => Promise<unknown>;
  /** Checks the schema cannot make (e.g. a JSON text field that does not parse). */
  check?: (values: V) => Record<string, string>;
}

export interface SchemaForm<V extends Record<string, unknown>> {
  form: UseFormReturnType<V>;
  submit: (event?: React.FormEvent<HTMLFormElement>) => void;
  /** An error that belongs to no field (conflict, network, or an issue for a field the form lacks). */
  error: unknown;
  submitting: boolean;
}

/**
 * A form checked with the API's own zod schema before sending; the server's 400 field issues land
 * on the same fields, anything else above the buttons.
 */
export function useSchemaForm<V extends Record<string, unknown>, S extends z.ZodType>({
  schema,
  initialValues,
  toPayload,
  onSubmit,
  check,
}: Options<V, S>): SchemaForm<V> {
  const [error, setError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const fields = Object.keys(initialValues);
  const form = useForm<V>({
    mode: 'controlled',
    initialValues,
    validate: (values) => {
      const own = check?.(values) ?? {};
      if (Object.keys(own).length > 0) return own;
      const r = validateWith(schema, toPayload(values));
      if (r.ok) return {};
      const { _form, ...rest } = r.errors;
      // Nested issues (settings.x) keep their key and also mark the top-level field that holds them.
      const mapped: Record<string, string> = {};
      for (const [k, msg] of Object.entries(rest)) {
        mapped[k] = msg;
        const top = fields.find((f) => k.startsWith(`${f}.`));
        if (top && !(top in mapped)) mapped[top] = `${k.slice(top.length + 1)}: ${msg}`;
      }
      if (_form) setError(new Error(_form));
      return mapped;
    },
  });

  const submit = form.onSubmit(async (values) => {
    setError(null);
    if (Object.keys(check?.(values) ?? {}).length > 0) return;
    const r = validateWith(schema, toPayload(values));
    if (!r.ok) return;
    setSubmitting(true);
    try {
      await onSubmit(r.data);
    } catch (e) {
      const { fields: fieldErrors, rest } = apiFieldErrors(e, fields);
      if (Object.keys(fieldErrors).length > 0) form.setErrors(fieldErrors);
      if (Object.keys(fieldErrors).length === 0 || rest.length > 0) {
        setError(rest.length > 0 ? new Error(rest.join('; ')) : e);
      }
    } finally {
      setSubmitting(false);
    }
  });

  return { form, submit, error, submitting };
}

/** `''` → undefined, so optional fields left blank are not sent. */
export function blankToUndefined(s: string): string | undefined {
  const t = s.trim();
  return t === '' ? undefined : t;
}

/** A number input's value (number or '') → number | undefined. */
export function numberOrUndefined(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
