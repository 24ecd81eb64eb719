// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { renderWithTheme } from '../../test/render';
import { LoginForm } from './LoginForm';
import { safeNext } from './LoginPage';

afterEach(cleanup);

const username = () => screen.getByLabelText('Username');
const password = () => screen.getByLabelText('Password', { selector: 'input' });
const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));

// Mantine in a simulated DOM is slow on a busy two-core machine.
describe('LoginForm', { timeout: 30_000 }, () => {
  it('checks the fields with the API schema and sends nothing when they are empty', async () => {
    const onSubmit = vi.fn(async () => undefined);
    renderWithTheme(<LoginForm onSubmit={onSubmit} />);
    submit();
    expect(await screen.findByText('username is required')).toBeTruthy();
    expect(screen.getByText('password is required')).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
    expect(username().getAttribute('aria-invalid')).toBe('true');
  });

  it('sends the trimmed username and the password', async () => {
    const onSubmit = vi.fn(async () => undefined);
    renderWithTheme(<LoginForm onSubmit={onSubmit} />);
    fireEvent.change(username(), { target: { value: '  ann@example.com ' } });
    fireEvent.change(password(), { target: { value: 'secret-pass' } });
    submit();
    await waitFor(() =>
      expect(onSubmit).toHaveBeenCalledWith({ username: 'ann@example.com', password: 'secret-pass' }),
    );
  });

  it('shows a 401 above the form and clears the password', async () => {
    const onSubmit = vi.fn(async () => {
      throw new ApiError(401, 'unauthorized', 'wrong username or password');
    });
    renderWithTheme(<LoginForm onSubmit={onSubmit} />);
    fireEvent.change(username(), { target: { value: 'ann' } });
    fireEvent.change(password(), { target: { value: 'nope-nope' } });
    submit();
    expect(await screen.findByText('wrong username or password')).toBeTruthy();
    expect(screen.getByText('Sign-in failed')).toBeTruthy();
    expect((password() as HTMLInputElement).value).toBe('');
  });

  it('puts the server field issues of a 400 on their fields', async () => {
    const onSubmit = vi.fn(async () => {
      throw new ApiError(400, 'invalid', 'username: too long', undefined, [
        { field: 'username', message: 'username is too long for this server' },
      ]);
    });
    renderWithTheme(<LoginForm onSubmit={onSubmit} />);
    fireEvent.change(username(), { target: { value: 'ann' } });
    fireEvent.change(password(), { target: { value: 'whatever1' } });
    submit();
    expect(await screen.findByText('username is too long for this server')).toBeTruthy();
    expect(username().getAttribute('aria-invalid')).toBe('true');
  });
});

describe('safeNext', () => {
  it('only follows same-site paths after sign-in', () => {
    expect(safeNext('/sessions/abc')).toBe('/sessions/abc');
    expect(safeNext(null)).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
  });
});
