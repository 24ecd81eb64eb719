import { Card, type MantineBreakpoint, Table } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { QueryState } from './QueryState';

export interface Column<T> {
  /** The header text, unique within the table (it is also the column's key). */
  header: string;
  cell: (row: T) => ReactNode;
  /** A column that only fits wide screens: hidden below this breakpoint, header and cells alike. */
  visibleFrom?: MantineBreakpoint;
}

interface Props<T> {
  query: UseQueryResult<T[]>;
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  /** A `data-testid` per row, for the end-to-end tests that find a row by its resource. */
  rowTestId?: (row: T) => string;
  /** The last cell of each row, usually `RowActions`. */
  rowActions?: (row: T) => ReactNode;
  /** Width of the actions column: 96 fits edit and delete, 64 a single button. */
  actionsWidth?: number;
  /** Shown instead of the table when the query returned no rows. */
  empty: ReactNode;
  loadingLabel?: string;
  /** Below this width the table scrolls sideways rather than squeezing its columns. */
  minWidth?: number;
  /** The rows to show, in order (a search, a sort) out of what the query returned. */
  select?: (items: T[]) => T[];
  /** Inside the card above the table (a search box, a count); hidden while loading or empty. */
  toolbar?: (items: T[], shown: T[]) => ReactNode;
  /** False when the page draws the card itself, e.g. with filters that stay while it loads. */
  withCard?: boolean;
}

/**
 * The list shell of the admin pages: loading, error (with retry) and empty states from the query,
 * then a card with the table, one row per resource and its actions at the end.
 */
export function ResourceTable<T>({
  query,
  columns,
  rowKey,
  rowTestId,
  rowActions,
  actionsWidth = 96,
  empty,
  loadingLabel,
  minWidth,
  select,
  toolbar,
  withCard = true,
}: Props<T>) {
  return (
    <QueryState query={query} empty={empty} loadingLabel={loadingLabel}>
      {(items) => {
        const shown = select ? select(items) : items;
        const table = (
          <Table>
            <Table.Thead>
              <Table.Tr>
                {columns.map((c) => (
                  <Table.Th key={c.header} visibleFrom={c.visibleFrom}>
                    {c.header}
                  </Table.Th>
                ))}
                {rowActions && <Table.Th w={actionsWidth} />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((row) => (
                <Table.Tr key={rowKey(row)} data-testid={rowTestId?.(row)}>
                  {columns.map((c) => (
                    <Table.Td key={c.header} visibleFrom={c.visibleFrom}>
                      {c.cell(row)}
                    </Table.Td>
                  ))}
                  {rowActions && <Table.Td>{rowActions(row)}</Table.Td>}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        );
        const body = (
          <>
            {toolbar?.(items, shown)}
            {minWidth === undefined ? (
              table
            ) : (
              <Table.ScrollContainer minWidth={minWidth}>{table}</Table.ScrollContainer>
            )}
          </>
        );
        return withCard ? <Card p={0}>{body}</Card> : body;
      }}
    </QueryState>
  );
}
