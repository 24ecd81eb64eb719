import { Button, Center, Group, Loader, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import type { SessionView } from '@porthole/contracts';
import { IconAlertTriangle, IconPlayerPause, IconPlayerPlay, IconPlayerStop } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { endedStates, transitionalStates } from './session-state';

interface Props {
  session: SessionView;
  busy: boolean;
  /** Owner or admin: a participant cannot resume someone else's session. */
  canManage?: boolean;
  onResume: () => void;
  onBack: () => void;
}

function Card({ icon, title, children }: { icon: ReactNode; title: string; children: ReactNode }) {
  return (
    <Center h="100%" p="xl">
      <Paper p="xl" radius="lg" shadow="lg" maw={460} w="100%" withBorder>
        <Stack align="center" gap="md" ta="center">
          {icon}
          <Title order={3}>{title}</Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

/** What stands in for the desktop while the session is not running. */
export function SessionOverlay({ session, busy, canManage = true, onResume, onBack }: Props) {
  if (transitionalStates.includes(session.state)) {
    return (
      <Card icon={<Loader />} title={`${session.imageFriendlyName} is ${session.state}…`}>
        <Text c="dimmed" size="sm">
          This page follows the session and shows the desktop as soon as it is running.
        </Text>
      </Card>
    );
  }
  if (session.state === 'paused' || session.state === 'stopped') {
    const paused = session.state === 'paused';
    return (
      <Card
        icon={
          <ThemeIcon size={56} radius="xl" variant="light" color={paused ? 'yellow' : 'gray'}>
            {paused ? <IconPlayerPause size={28} /> : <IconPlayerStop size={28} />}
          </ThemeIcon>
        }
        title={paused ? 'Session paused' : 'Session stopped'}
      >
        <Text c="dimmed" size="sm">
          {!canManage
            ? 'The owner has to resume it; this page shows the desktop again when they do.'
            : paused
              ? 'Its processes are frozen and keep their state. Resume to pick up where you left off.'
              : 'The container is stopped; its files are kept. Resume to start it again.'}
        </Text>
        <Group>
          <Button variant="default" onClick={onBack}>
            Back to workspaces
          </Button>
          {canManage && (
            <Button leftSection={<IconPlayerPlay size={16} />} onClick={onResume} loading={busy}>
              Resume
            </Button>
          )}
        </Group>
      </Card>
    );
  }
  const ended = endedStates.includes(session.state);
  return (
    <Card
      icon={
        <ThemeIcon size={56} radius="xl" variant="light" color="red">
          <IconAlertTriangle size={28} />
        </ThemeIcon>
      }
      title={ended ? `This session is ${session.state}` : `Session ${session.state}`}
    >
      {session.stateReason && (
        <Text size="sm" data-testid="session-reason">
          {session.stateReason}
        </Text>
      )}
      <Button onClick={onBack}>Back to workspaces</Button>
    </Card>
  );
}
