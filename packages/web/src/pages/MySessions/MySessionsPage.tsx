import { ActionIcon, Badge, Button, Card, Group, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { SessionView } from '@porthole/contracts';
import {
  IconExternalLink,
  IconPlayerPause,
  IconPlayerPlay,
  IconPlayerStop,
  IconTrash,
} from '@tabler/icons-react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import { type SessionAction, useDeleteSession, useMySessions, useSessionAction } from '../../api/sessions';
import { ConfirmAction } from '../../components/ConfirmAction';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, QueryState } from '../../components/QueryState';
import { type CountdownTone, formatAge, formatCountdown } from '../../modules/time/format';
import { useNow } from '../../modules/time/use-now';
import { stateColor } from '../Session/session-state';

const toneColor: Record<CountdownTone, string> = {
  none: 'gray',
  ok: 'gray',
  warn: 'orange',
  danger: 'red',
  expired: 'red',
};

function Row({ s, now }: { s: SessionView; now: number }) {
  const action = useSessionAction();
  const remove = useDeleteSession();
  const countdown = formatCountdown(s.expiresAt, now);
  const act = (a: SessionAction) =>
    action.mutate(
      { id: s.id, action: a },
      {
        onError: (e) =>
          notifications.show({ color: 'red', title: `Could not ${a}`, message: errorMessage(e) }),
      },
    );
  const resumable = s.state === 'paused' || s.state === 'stopped';
  return (
    <Table.Tr data-testid={`session-row-${s.id}`}>
      <Table.Td>
        <Text fw={600} size="sm">
          {s.imageFriendlyName}
        </Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {s.id.slice(0, 8)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Tooltip label={s.stateReason} disabled={!s.stateReason} withArrow multiline maw={300}>
          <Badge color={stateColor(s.state)}>{s.state}</Badge>
        </Tooltip>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatAge(s.createdAt, now)}</Text>
      </Table.Td>
      <Table.Td>
        <Text
          size="sm"
          ff="monospace"
          c={toneColor[countdown.tone]}
          fw={countdown.tone === 'danger' ? 700 : 400}
        >
          {countdown.text}
        </Text>
      </Table.Td>
      <Table.Td visibleFrom="md">
        <Text size="sm" c="dimmed">
          {s.agentName ?? '—'}
        </Text>
      </Table.Td>
      <Table.Td>
        <Group gap={4} justify="flex-end" wrap="nowrap">
          {s.state === 'running' && (
            <Button
              component={Link}
              to={`/sessions/${s.id}`}
              size="xs"
              leftSection={<IconExternalLink size={14} />}
            >
              Open
            </Button>
          )}
          {resumable && (
            <Button
              size="xs"
              variant="light"
              leftSection={<IconPlayerPlay size={14} />}
              onClick={() => act('resume')}
              loading={action.isPending}
            >
              Resume
            </Button>
          )}
          {s.state === 'running' && (
            <Tooltip label="Pause" withArrow>
              <ActionIcon
                variant="subtle"
                color="gray"
                size="lg"
                onClick={() => act('pause')}
                aria-label="Pause"
                loading={action.isPending}
              >
                <IconPlayerPause size={18} />
              </ActionIcon>
            </Tooltip>
          )}
          {(s.state === 'running' || s.state === 'paused') && (
            <Tooltip label="Stop" withArrow>
              <ActionIcon
                variant="subtle"
                color="gray"
                size="lg"
                onClick={() => act('stop')}
                aria-label="Stop"
                loading={action.isPending}
              >
                <IconPlayerStop size={18} />
              </ActionIcon>
            </Tooltip>
          )}
          <ConfirmAction
            title="Delete this session?"
            message={`The ${s.imageFriendlyName} session and everything in it will be gone.`}
            confirmLabel="Delete"
            onConfirm={() => remove.mutateAsync(s.id)}
            trigger={(open) => (
              <Tooltip label="Delete" withArrow>
                <ActionIcon variant="subtle" color="red" size="lg" onClick={open} aria-label="Delete">
                  <IconTrash size={18} />
                </ActionIcon>
              </Tooltip>
            )}
          />
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

export function MySessionsPage() {
  const sessions = useMySessions();
  const now = useNow(1000);
  return (
    <>
      <PageHeader
        title="My sessions"
        description="Sessions you started. They expire when no browser keeps them alive."
      />
      <QueryState
        query={sessions}
        loadingLabel="Loading sessions…"
        empty={
          <EmptyState title="No sessions">
            Nothing is running. <Link to="/">Launch a workspace</Link> to start one.
          </EmptyState>
        }
      >
        {(items) => (
          <Card p={0}>
            <Table.ScrollContainer minWidth={640}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Workspace</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Started</Table.Th>
                    <Table.Th>Expires in</Table.Th>
                    <Table.Th visibleFrom="md">Server</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((s) => (
                    <Row key={s.id} s={s} now={now} />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
        )}
      </QueryState>
    </>
  );
}
