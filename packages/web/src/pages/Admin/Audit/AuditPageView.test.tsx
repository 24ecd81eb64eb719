// @vitest-environment happy-dom
import type { AuditEntryView } from '@porthole/contracts';
import type { UseQueryResult } from '@tanstack/react-query';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithTheme } from '../../../test/render';
import { AuditPageView, type AuditPageViewProps } from './AuditPageView';

afterEach(cleanup);

const entry: AuditEntryView = {
  id: '1',
  at: '2030-01-01T10:00:00.000Z',
  actor: { type: 'user', id: 'u1', name: 'admin@porthole.local' },
  address: '10.0.0.1',
  action: 'user.update',
  resourceType: 'user',
  resourceId: '11111111-2222-3333-4444-555555555555',
  diff: {
    displayName: { before: '', after: 'Eve' },
    password: { before: '[redacted]', after: '[redacted]' },
  },
  details: {},
};

const query = (q: Partial<UseQueryResult<AuditEntryView[]>>) =>
  ({ isPending: false, isError: false, refetch: () => undefined, ...q }) as UseQueryResult<AuditEntryView[]>;

function props(over: Partial<AuditPageViewProps> = {}): AuditPageViewProps {
  return {
    filter: {},
    onFilter: vi.fn(),
    entries: query({ data: [entry] }),
    csvUrl: '/api/admin/audit.csv?action=user.update',
    onOlder: undefined,
    onNewer: undefined,
    retentionDays: 365,
    onRetention: vi.fn(async () => undefined),
    ...over,
  };
}

describe('AuditPageView', { timeout: 30_000 }, () => {
  it('shows an entry with its actor, action, resource and changes, and the CSV link', () => {
    renderWithTheme(<AuditPageView {...props()} />);
    expect(screen.getByText('admin@porthole.local')).toBeTruthy();
    expect(screen.getByText('user.update')).toBeTruthy();
    expect(screen.getByText(/displayName: "" → "Eve"/)).toBeTruthy();
    expect(screen.getByText('Download CSV').getAttribute('href')).toBe(
      '/api/admin/audit.csv?action=user.update',
    );
  });

  it('passes filter edits up and pages only when there is a page', () => {
    const p = props({ onOlder: vi.fn() });
    renderWithTheme(<AuditPageView {...p} />);
    fireEvent.change(screen.getByLabelText('Filter by action'), { target: { value: 'zone.create' } });
    expect(p.onFilter).toHaveBeenCalledWith({ action: 'zone.create' });
    expect(screen.getByRole('button', { name: 'Newer' }).hasAttribute('disabled')).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(p.onOlder).toHaveBeenCalled();
  });

  it('says so when nothing matches', () => {
    renderWithTheme(<AuditPageView {...props({ entries: query({ data: [] }) })} />);
    expect(screen.getByText('No audit entries match')).toBeTruthy();
  });
});
