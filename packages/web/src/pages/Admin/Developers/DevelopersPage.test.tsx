// @vitest-environment happy-dom
import type { ApiKeyCreated, ApiKeyView } from '@porthole/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithTheme } from '../../../test/render';
import { DevelopersPage } from './DevelopersPage';

const existing: ApiKeyView = {
  id: '7d1f0a52-1111-4c1e-9a55-0d1f0a521111',
  name: 'nightly report',
  api_key: 'pi-existing0001',
  permissions: ['users_view', 'sessions_view'],
  readOnly: true,
  expiresAt: null,
  expired: false,
  createdAt: '2026-11-01T10:00:00.000Z',
  createdBy: null,
  lastUsedAt: null,
};

const created: ApiKeyCreated = {
  ...existing,
  id: '7d1f0a52-2222-4c1e-9a55-0d1f0a522222',
  name: 'provisioning',
  api_key: 'pi-newkey000002',
  api_key_secret: 'S3cr3t-only-shown-once',
  permissions: ['users_auth_session'],
  readOnly: false,
};

type Call = { method: string; url: string; body: unknown };
let calls: Call[];
let keys: ApiKeyView[];
/** What the next POST answers; by default the created key. */
let onPost: () => Response;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

beforeEach(() => {
  calls = [];
  keys = [existing];
  onPost = () => {
    keys = [...keys, created];
    return json(201, created);
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined });
      if (method === 'GET') return json(200, { items: keys });
      if (method === 'POST') return onPost();
      if (method === 'DELETE') {
        keys = keys.filter((k) => !url.endsWith(k.id));
        return new Response(null, { status: 204 });
      }
      return json(404, { error: { code: 'not_found', message: 'no route' } });
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderPage() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return renderWithTheme(
    <QueryClientProvider client={qc}>
      <DevelopersPage />
    </QueryClientProvider>,
  );
}

async function openCreate() {
  fireEvent.click(await screen.findByRole('button', { name: 'New API key' }));
  return screen.findByRole('dialog', { name: 'New API key' });
}

// Mantine in a simulated DOM is slow on a busy two-core machine.
describe('DevelopersPage', { timeout: 30_000 }, () => {
  it('lists the keys with their permissions, access and expiry, never a secret', async () => {
    renderPage();
    const row = await screen.findByTestId('api-key-row-pi-existing0001');
    expect(within(row).getByText('nightly report')).toBeTruthy();
    expect(within(row).getByText('users_view')).toBeTruthy();
    expect(within(row).getByText('sessions_view')).toBeTruthy();
    expect(within(row).getByText('Read-only')).toBeTruthy();
    expect(within(row).getAllByText('Never')).toHaveLength(2); // expires, last used
  });

  it('creates a key and shows its key and secret once, with the warning', async () => {
    renderPage();
    const dialog = await openCreate();
    fireEvent.change(within(dialog).getByLabelText(/^Name/), { target: { value: '  provisioning ' } });
    fireEvent.click(within(dialog).getByLabelText('users_auth_session'));
    fireEvent.change(within(dialog).getByLabelText(/^Expires/), { target: { value: '2030-01-02' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create key' }));

    const shown = await screen.findByRole('dialog', { name: 'API key provisioning created' });
    expect(calls.find((c) => c.method === 'POST')).toEqual({
      method: 'POST',
      url: '/api/admin/api-keys',
      body: {
        name: 'provisioning',
        permissions: ['users_auth_session'],
        readOnly: false,
        expiresAt: '2030-01-02T00:00:00Z',
      },
    });
    expect(within(shown).getByTestId('api-key-value').textContent).toBe('pi-newkey000002');
    expect(within(shown).getByTestId('api-key-secret-value').textContent).toBe('S3cr3t-only-shown-once');
    expect(within(shown).getByText(/You will not see the secret again/)).toBeTruthy();
    expect(within(shown).getByRole('button', { name: 'Copy API key secret' })).toBeTruthy();

    fireEvent.click(within(shown).getByRole('button', { name: 'I have saved the secret' }));
    await waitFor(() => expect(screen.queryByText('S3cr3t-only-shown-once')).toBeNull());
    // The list is fetched again and shows the new key, without its secret.
    expect(await screen.findByTestId('api-key-row-pi-newkey000002')).toBeTruthy();
  });

  it('puts the server’s field error on the field it names', async () => {
    onPost = () =>
      json(400, {
        error: {
          code: 'invalid',
          message: 'expiresAt: must be in the future',
          details: { issues: [{ field: 'expiresAt', message: 'must be in the future' }] },
        },
      });
    renderPage();
    const dialog = await openCreate();
    fireEvent.change(within(dialog).getByLabelText(/^Name/), { target: { value: 'old' } });
    fireEvent.change(within(dialog).getByLabelText(/^Expires/), { target: { value: '2001-01-01' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create key' }));
    expect(await within(dialog).findByText('must be in the future')).toBeTruthy();
    expect(
      within(dialog)
        .getByLabelText(/^Expires/)
        .getAttribute('aria-invalid'),
    ).toBe('true');
    expect(screen.queryByTestId('api-key-secret-value')).toBeNull();
  });

  it('checks the name with the API schema before sending', async () => {
    renderPage();
    const dialog = await openCreate();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create key' }));
    expect(await within(dialog).findByText('must not be empty')).toBeTruthy();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('revokes a key after a confirmation', async () => {
    renderPage();
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke nightly report' }));
    const confirm = await screen.findByRole('dialog', { name: 'Revoke nightly report?' });
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Revoke' }));
    await waitFor(() =>
      expect(calls.find((c) => c.method === 'DELETE')?.url).toBe(`/api/admin/api-keys/${existing.id}`),
    );
    expect(await screen.findByText('No API keys')).toBeTruthy();
  });
});
