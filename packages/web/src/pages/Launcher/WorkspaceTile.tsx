import { Badge, Box, Button, Card, Group, Image, Stack, Text, ThemeIcon } from '@mantine/core';
import type { SessionView, WorkspaceView } from '@porthole/contracts';
import { IconAppWindow, IconPlayerPlay } from '@tabler/icons-react';
import { Link } from 'react-router';
import { formatCores, formatMemoryMb } from '../../modules/time/format';
import classes from './Launcher.module.css';

interface Props {
  workspace: WorkspaceView;
  running: SessionView[];
  launching: boolean;
  onLaunch: () => void;
}

export function WorkspaceIcon({ icon, size = 56 }: { icon: string | null; size?: number }) {
  if (icon?.startsWith('data:image/') || icon?.startsWith('/')) {
    return <Image src={icon} w={size} h={size} fit="contain" alt="" />;
  }
  return (
    <ThemeIcon size={size} radius="md" variant="light">
      <IconAppWindow size={size * 0.6} stroke={1.5} />
    </ThemeIcon>
  );
}

/** One launchable workspace: icon, name, description, categories; a click starts a session. */
export function WorkspaceTile({ workspace, running, launching, onLaunch }: Props) {
  const open = running.find((s) => s.state === 'running');
  return (
    <Card className={classes.tile} data-testid={`workspace-${workspace.name}`}>
      <Stack gap="sm" h="100%">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <Box className={classes.icon}>
            <WorkspaceIcon icon={workspace.icon} />
          </Box>
          {running.length > 0 && (
            <Badge color="teal" variant="dot">
              {running.length} active
            </Badge>
          )}
        </Group>
        <Stack gap={4} style={{ flex: 1 }}>
          <Text fw={650} size="lg" lineClamp={1}>
            {workspace.friendlyName}
          </Text>
          <Text size="sm" c="dimmed" lineClamp={2} mih={40}>
            {workspace.description || 'No description.'}
          </Text>
        </Stack>
        <Group gap={6} mih={22}>
          {workspace.categories.slice(0, 3).map((c) => (
            <Badge key={c} color="gray" size="sm">
              {c}
            </Badge>
          ))}
        </Group>
        <Group justify="space-between" align="center" wrap="nowrap">
          <Text size="xs" c="dimmed">
            {formatCores(workspace.cores)} · {formatMemoryMb(workspace.memoryMb)}
          </Text>
          <Group gap={6} wrap="nowrap">
            {open && (
              <Button component={Link} to={`/sessions/${open.id}`} size="xs" variant="default">
                Open
              </Button>
            )}
            <Button
              size="xs"
              leftSection={<IconPlayerPlay size={14} />}
              onClick={onLaunch}
              loading={launching}
              aria-label={`Launch ${workspace.friendlyName}`}
            >
              Launch
            </Button>
          </Group>
        </Group>
      </Stack>
    </Card>
  );
}
