import { Anchor, Badge, Button, Card, Code, Group, NumberInput, Text, TextInput } from '@mantine/core';
import type { AuditEntryView } from '@porthole/contracts';
import type { UseQueryResult } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { AuditFilter } from '../../../api/audit';
import { errorMessage } from '../../../api/client';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState } from '../../../components/QueryState';
import { type Column, ResourceTable } from '../../../components/ResourceTable';

export interface AuditPageViewProps {
  filter: AuditFilter;
  onFilter: (filter: AuditFilter) => void;
  entries: UseQueryResult<AuditEntryView[]>;
  csvUrl: string;
  onOlder: (() => void) | undefined;
  onNewer: (() => void) | undefined;
  retentionDays: number | undefined;
  onRetention: (days: number) => Promise<unknown>;
}

function actorLabel(e: AuditEntryView): string {
  if (e.actor.type === 'api_key') return `key ${e.actor.name}`;
  if (e.actor.type === 'system') return `porthole (${e.actor.name})`;
  if (e.actor.type === 'anonymous') return e.actor.name ? `anonymous (${e.actor.name})` : 'anonymous';
  return e.actor.name;
}

function changes(e: AuditEntryView): string {
  const fields = Object.entries(e.diff).map(
    ([k, c]) => `${k}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`,
  );
  const details = Object.keys(e.details).length > 0 ? [JSON.stringify(e.details)] : [];
  return [...fields, ...details].join('; ');
}

const columns: Column<AuditEntryView>[] = [
  { header: 'When', cell: (e) => new Date(e.at).toLocaleString() },
  { header: 'Actor', cell: (e) => actorLabel(e) },
  { header: 'Action', cell: (e) => <Badge variant="light">{e.action}</Badge> },
  {
    header: 'Resource',
    cell: (e) => (
      <Text size="xs" ff="monospace">
        {e.resourceType}
        {e.resourceId ? ` ${e.resourceId.slice(0, 8)}` : ''}
      </Text>
    ),
  },
  { header: 'Address', cell: (e) => e.address ?? '—', visibleFrom: 'md' },
  {
    header: 'Changes',
    cell: (e) => (
      <Code block style={{ whiteSpace: 'pre-wrap', maxWidth: 420 }}>
        {changes(e) || '—'}
      </Code>
    ),
  },
];

/** A datetime-local value (the browser's time zone) as the ISO instant the API filters by. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function Retention({
  days,
  onSave,
}: {
  days: number | undefined;
  onSave: (days: number) => Promise<unknown>;
}) {
  const [value, setValue] = useState<number | string>(days ?? '');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setValue(days ?? ''), [days]);
  return (
    <Group gap="xs" align="flex-end">
      <NumberInput
        label="Keep entries (days)"
        min={1}
        max={36500}
        w={160}
        value={value}
        onChange={setValue}
        error={error}
      />
      <Button
        variant="light"
        disabled={typeof value !== 'number' || value === days}
        onClick={() => {
          setError(null);
          if (typeof value === 'number') onSave(value).catch((e: unknown) => setError(errorMessage(e)));
        }}
      >
        Save
      </Button>
    </Group>
  );
}

export function AuditPageView(props: AuditPageViewProps) {
  const { filter, onFilter } = props;
  const text = (key: keyof AuditFilter, label: string, w: number) => (
    <TextInput
      placeholder={label}
      aria-label={`Filter by ${label.toLowerCase()}`}
      w={w}
      value={filter[key] ?? ''}
      onChange={(e) => onFilter({ ...filter, [key]: e.currentTarget.value || undefined })}
    />
  );
  return (
    <>
      <PageHeader
        title="Audit"
        description="Who changed what, signed in or failed to, and launched or shared sessions."
        actions={
          <Anchor href={props.csvUrl} download>
            Download CSV
          </Anchor>
        }
      />
      <Card p={0}>
        <Group p="md" gap="sm" align="flex-end">
          {text('actor', 'Actor', 200)}
          {text('action', 'Action', 180)}
          {text('resourceType', 'Resource type', 150)}
          {text('resourceId', 'Resource id', 200)}
          <TextInput
            type="datetime-local"
            label="Since"
            onChange={(e) => onFilter({ ...filter, since: toIso(e.currentTarget.value) })}
          />
          <TextInput
            type="datetime-local"
            label="Until"
            onChange={(e) => onFilter({ ...filter, until: toIso(e.currentTarget.value) })}
          />
        </Group>
        <ResourceTable
          query={props.entries}
          empty={<EmptyState title="No audit entries match" />}
          withCard={false}
          minWidth={900}
          columns={columns}
          rowKey={(e) => e.id}
        />
        <Group p="md" justify="space-between">
          <Retention days={props.retentionDays} onSave={props.onRetention} />
          <Group gap="xs">
            <Button variant="default" disabled={!props.onNewer} onClick={props.onNewer}>
              Newer
            </Button>
            <Button variant="default" disabled={!props.onOlder} onClick={props.onOlder}>
              Older
            </Button>
          </Group>
        </Group>
      </Card>
    </>
  );
}
