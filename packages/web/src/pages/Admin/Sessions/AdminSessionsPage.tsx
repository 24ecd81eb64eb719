import { Badge, Card, Group, Select, Text, Tooltip } from '@mantine/core';
import { type SessionState, type SessionView, sessionStateSchema } from '@porthole/contracts';
import { useState } from 'react';
import {
  type AdminSessionFilter,
  agentsApi,
  useAdminSessions,
  useDestroySession,
  usersApi,
} from '../../../api/admin';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState } from '../../../components/QueryState';
import { type Column, ResourceTable } from '../../../components/ResourceTable';
import { RowActions } from '../../../components/RowActions';
import { formatAge, formatCountdown, formatMemoryMb } from '../../../modules/time/format';
import { useNow } from '../../../modules/time/use-now';
import { stateColor } from '../../Session/session-state';

export function AdminSessionsPage() {
  const [filter, setFilter] = useState<AdminSessionFilter>({});
  const sessions = useAdminSessions(filter);
  const users = usersApi.useList();
  const agents = agentsApi.useList();
  const destroy = useDestroySession();
  const now = useNow(1000);
  const columns: Column<SessionView>[] = [
    {
      header: 'Session',
      cell: (s) => (
        <>
          <Text size="sm" fw={600}>
            {s.imageFriendlyName}
            {s.staged && (
              <Badge size="xs" color="grape" ml={6}>
                staged
              </Badge>
            )}
          </Text>
          <Text size="xs" c="dimmed" ff="monospace">
            {s.id.slice(0, 8)} · {s.cores} cpu · {formatMemoryMb(s.memoryMb)}
          </Text>
        </>
      ),
    },
    { header: 'Owner', cell: (s) => s.username ?? '—' },
    { header: 'Server', cell: (s) => s.agentName ?? '—' },
    {
      header: 'State',
      cell: (s) => (
        <Tooltip label={s.stateReason} disabled={!s.stateReason} withArrow multiline maw={300}>
          <Badge color={stateColor(s.state)}>{s.state}</Badge>
        </Tooltip>
      ),
    },
    { header: 'Age', cell: (s) => formatAge(s.createdAt, now) },
    {
      header: 'Expires in',
      cell: (s) => (
        <Text size="sm" ff="monospace">
          {formatCountdown(s.expiresAt, now).text}
        </Text>
      ),
    },
  ];
  return (
    <>
      <PageHeader title="Sessions" description="Every live session on every server." />
      <Card p={0}>
        <Group p="md" gap="sm">
          <Select
            placeholder="All users"
            clearable
            searchable
            w={220}
            data={(users.data ?? []).map((u) => ({ value: u.id, label: u.username }))}
            value={filter.userId ?? null}
            onChange={(v) => setFilter((f) => ({ ...f, userId: v ?? undefined }))}
            aria-label="Filter by user"
          />
          <Select
            placeholder="All servers"
            clearable
            w={200}
            data={(agents.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
            value={filter.agentId ?? null}
            onChange={(v) => setFilter((f) => ({ ...f, agentId: v ?? undefined }))}
            aria-label="Filter by server"
          />
          <Select
            placeholder="Any state"
            clearable
            w={160}
            data={sessionStateSchema.options}
            value={filter.state ?? null}
            onChange={(v) => setFilter((f) => ({ ...f, state: (v as SessionState | null) ?? undefined }))}
            aria-label="Filter by state"
          />
        </Group>
        <ResourceTable
          query={sessions}
          empty={<EmptyState title="No sessions match" />}
          withCard={false}
          minWidth={760}
          columns={columns}
          rowKey={(s) => s.id}
          actionsWidth={64}
          rowActions={(s) => (
            <RowActions
              name={s.id}
              deleteLabel="Destroy"
              deleteTitle="Destroy this session?"
              deleteMessage={`${s.username ?? 'The owner'} loses the ${s.imageFriendlyName} session and its data.`}
              onDelete={() => destroy.mutateAsync(s.id)}
            />
          )}
        />
      </Card>
    </>
  );
}
