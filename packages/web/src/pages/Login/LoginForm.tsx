import { Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { type LoginRequest, loginRequestSchema } from '@porthole/contracts';
import { useState } from 'react';
import { ApiError } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { apiFieldErrors, validateWith } from '../../modules/forms/zod-form';

interface Props {
  onSubmit: (values: LoginRequest) => Promise<unknown>;
}

/** Username and password, checked with the API's own schema before anything is sent. */
export function LoginForm({ onSubmit }: Props) {
  const [error, setError] = useState<unknown>(null);
  const form = useForm<LoginRequest>({
    mode: 'controlled',
    initialValues: { username: '', password: '' },
    validate: (values) => {
      const r = validateWith(loginRequestSchema, values);
      return r.ok ? {} : r.errors;
    },
  });

  const submit = form.onSubmit(async (values) => {
    setError(null);
    const parsed = validateWith(loginRequestSchema, values);
    if (!parsed.ok) return;
    try {
      await onSubmit(parsed.data);
    } catch (e) {
      const { fields } = apiFieldErrors(e, ['username', 'password']);
      if (Object.keys(fields).length > 0) form.setErrors(fields);
      else setError(e);
      if (e instanceof ApiError && e.status === 401) form.setFieldValue('password', '');
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        {error !== null && (
          <ErrorAlert
            error={error}
            title={error instanceof ApiError && error.status === 401 ? 'Sign-in failed' : undefined}
          />
        )}
        <TextInput
          label="Username"
          placeholder="you@example.com"
          autoComplete="username"
          autoFocus
          size="md"
          {...form.getInputProps('username')}
        />
        <PasswordInput
          label="Password"
          autoComplete="current-password"
          size="md"
          {...form.getInputProps('password')}
        />
        <Button type="submit" size="md" fullWidth loading={form.submitting} mt="xs">
          Sign in
        </Button>
      </Stack>
    </form>
  );
}
