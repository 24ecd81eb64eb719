import {
  Alert,
  Badge,
  Button,
  Card,
  Divider,
  Group,
  Progress,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { AgentStatus, AgentView, ImagePullState, ZoneView } from '@porthole/contracts';
import { IconAlertTriangle, IconTrash } from '@tabler/icons-react';
import { agentsApi } from '../../../api/admin';
import { errorMessage } from '../../../api/client';
import { ConfirmAction } from '../../../components/ConfirmAction';
import { ResourceBar } from '../../../components/ResourceBar';
import { formatBytes, formatCores, formatDuration, formatMemoryMb } from '../../../modules/time/format';
import { AgentOverrides } from './AgentOverrides';

const statusColor: Record<AgentStatus, string> = {
  online: 'teal',
  offline: 'red',
  draining: 'orange',
  disabled: 'gray',
};

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={500} truncate>
        {value}
      </Text>
    </div>
  );
}

function PullState({ image }: { image: ImagePullState }) {
  const pct =
    image.bytesTotal && image.bytesTotal > 0
      ? ((image.bytesDone ?? 0) / image.bytesTotal) * 100
      : image.layersTotal && image.layersTotal > 0
        ? ((image.layersDone ?? 0) / image.layersTotal) * 100
        : 0;
  const color = { present: 'teal', pulling: 'blue', missing: 'gray', error: 'red' }[image.state];
  return (
    <Stack gap={4}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="xs" ff="monospace" truncate style={{ minWidth: 0 }}>
          {image.ref}
        </Text>
        <Tooltip label={image.message} disabled={!image.message} withArrow multiline maw={320}>
          <Badge size="xs" color={color}>
            {image.state === 'pulling' ? `pulling ${Math.round(pct)}%` : image.state}
          </Badge>
        </Tooltip>
      </Group>
      {image.state === 'pulling' && <Progress value={pct} size="xs" animated />}
    </Stack>
  );
}

export function AgentCard({ agent, zones }: { agent: AgentView; zones: ZoneView[] }) {
  const update = agentsApi.useUpdate();
  const remove = agentsApi.useDelete('?force=true');
  const patch = (body: { enabled?: boolean; draining?: boolean }) =>
    update.mutate(
      { id: agent.id, body },
      {
        onError: (e) =>
          notifications.show({ color: 'red', title: 'Could not update server', message: errorMessage(e) }),
      },
    );
  const zone = zones.find((z) => z.id === agent.zoneId)?.name ?? '—';
  const checkin =
    agent.lastCheckinAgeSeconds === null ? 'never' : `${formatDuration(agent.lastCheckinAgeSeconds)} ago`;

  return (
    <Card data-testid={`agent-${agent.name}`}>
      <Stack gap="md">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <div style={{ minWidth: 0 }}>
            <Group gap="xs">
              <Text fw={650} size="lg">
                {agent.name}
              </Text>
              <Badge color={statusColor[agent.status]} variant="dot" data-testid="agent-status">
                {agent.status}
              </Badge>
            </Group>
            <Text size="xs" c="dimmed" ff="monospace" truncate>
              {agent.url}
            </Text>
          </div>
          <Group gap="lg" wrap="nowrap">
            <Switch
              label="Enabled"
              checked={agent.enabled}
              onChange={(e) => patch({ enabled: e.currentTarget.checked })}
            />
            <Tooltip
              label="A draining server takes no new sessions; running ones continue."
              withArrow
              multiline
              maw={260}
            >
              <Switch
                label="Draining"
                checked={agent.draining}
                onChange={(e) => patch({ draining: e.currentTarget.checked })}
              />
            </Tooltip>
          </Group>
        </Group>
        {agent.engine?.reachable === false && (
          // The agent still checks in, so "online" alone would hide that it can start nothing.
          <Alert
            color="red"
            variant="light"
            icon={<IconAlertTriangle size={16} />}
            data-testid="agent-engine-unreachable"
          >
            Docker unreachable: {agent.engine.error ?? 'the engine does not answer'}. New sessions go to other
            servers until it answers again.
          </Alert>
        )}
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="sm">
          <Fact label="Zone" value={zone} />
          <Fact label="Last check-in" value={checkin} />
          <Fact label="Sessions" value={String(agent.sessionCount)} />
          <Fact label="Load (1 min)" value={agent.load1 === null ? '—' : agent.load1.toFixed(2)} />
          <Fact
            label="Disk free"
            value={agent.diskFreeBytes === null ? '—' : formatBytes(agent.diskFreeBytes)}
          />
          <Fact label="Versions" value={`${agent.version ?? '?'} · Docker ${agent.dockerVersion ?? '?'}`} />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
          <ResourceBar label="CPU" {...agent.cores} format={(n) => formatCores(Math.round(n * 100) / 100)} />
          <ResourceBar label="Memory" {...agent.memoryMb} format={formatMemoryMb} />
        </SimpleGrid>
        <Divider />
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
          <Stack gap={6}>
            <Text size="xs" fw={700} tt="uppercase" c="dimmed">
              Images
            </Text>
            {agent.images.length === 0 ? (
              <Text size="sm" c="dimmed">
                No images reported yet.
              </Text>
            ) : (
              agent.images.map((i) => <PullState key={i.ref} image={i} />)
            )}
          </Stack>
          <Stack gap="sm">
            <AgentOverrides agent={agent} />
            <Group justify="flex-end">
              <ConfirmAction
                title={`Delete ${agent.name}?`}
                message={`Its ${agent.sessionCount} session(s) are destroyed and the agent must register again to come back.`}
                confirmLabel="Delete server"
                onConfirm={() => remove.mutateAsync(agent.id)}
                trigger={(open) => (
                  <Button
                    color="red"
                    variant="subtle"
                    size="xs"
                    leftSection={<IconTrash size={14} />}
                    onClick={open}
                  >
                    Delete server
                  </Button>
                )}
              />
            </Group>
          </Stack>
        </SimpleGrid>
      </Stack>
    </Card>
  );
}
