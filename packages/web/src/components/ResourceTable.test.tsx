// @vitest-environment happy-dom
import type { UseQueryResult } from '@tanstack/react-query';
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { renderWithTheme } from '../test/render';
import { EmptyState } from './QueryState';
import { type Column, ResourceTable } from './ResourceTable';

afterEach(cleanup);

type Row = { id: string; name: string };
const columns: Column<Row>[] = [{ header: 'Name', cell: (r) => r.name }];

// Only the fields QueryState reads; a real query result needs a QueryClient for nothing here.
const query = (q: Partial<UseQueryResult<Row[]>>) =>
  ({ isPending: false, isError: false, refetch: () => undefined, ...q }) as UseQueryResult<Row[]>;

describe('ResourceTable', { timeout: 30_000 }, () => {
  it('renders a row per item, in the order select gives, with its actions and test id', () => {
    renderWithTheme(
      <ResourceTable
        query={query({
          data: [
            { id: '1', name: 'beta' },
            { id: '2', name: 'alpha' },
          ],
        })}
        columns={columns}
        rowKey={(r) => r.id}
        rowTestId={(r) => `row-${r.name}`}
        select={(items) => [...items].sort((a, b) => a.name.localeCompare(b.name))}
        toolbar={(items, shown) => <span data-testid="count">{`${shown.length} of ${items.length}`}</span>}
        rowActions={(r) => <button type="button">{`Edit ${r.name}`}</button>}
        empty={<EmptyState title="Nothing here" />}
      />,
    );
    expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Name', '']);
    expect(
      screen
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.getAttribute('data-testid')),
    ).toEqual(['row-alpha', 'row-beta']);
    expect(screen.getByRole('button', { name: 'Edit beta' })).toBeTruthy();
    expect(screen.getByTestId('count').textContent).toBe('2 of 2');
  });

  it('shows the empty state instead of a table, and the loading state while pending', () => {
    const props = { columns, rowKey: (r: Row) => r.id, empty: <EmptyState title="Nothing here" /> };
    const { rerender } = renderWithTheme(<ResourceTable query={query({ data: [] })} {...props} />);
    expect(screen.getByText('Nothing here')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    rerender(<ResourceTable query={query({ isPending: true })} {...props} loadingLabel="Loading rows…" />);
    expect(screen.getByText('Loading rows…')).toBeTruthy();
  });
});
