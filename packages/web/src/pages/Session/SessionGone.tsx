import { Button, Center, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { SESSION_ENDED_CLOSE_CODE, STREAM_REMOVED_CLOSE_CODE } from '@porthole/contracts';
import { IconDoorExit } from '@tabler/icons-react';

export interface Gone {
  /** 4001 removed (kick or sharing off), 4004 the session ended, 0 access found gone otherwise. */
  code: number;
  reason: string;
}

export function goneText(gone: Gone): { title: string; text: string } {
  if (gone.code === SESSION_ENDED_CLOSE_CODE)
    return { title: 'The session has ended', text: 'The owner ended it, or it expired.' };
  if (gone.code === STREAM_REMOVED_CLOSE_CODE)
    return {
      title: 'You were removed from this session',
      text: 'The owner removed you or stopped sharing it. You can join again only with a valid link.',
    };
  return {
    title: 'You no longer have access to this session',
    text: 'The owner stopped sharing it, removed you, or it ended.',
  };
}

/** What a participant sees once the session is no longer theirs to watch. */
export function SessionGone({ gone, onBack }: { gone: Gone; onBack: () => void }) {
  const { title, text } = goneText(gone);
  return (
    <Center h="100%" p="xl">
      <Paper p="xl" radius="lg" shadow="lg" maw={460} w="100%" withBorder>
        <Stack align="center" gap="md" ta="center" data-testid="session-gone" data-code={gone.code}>
          <ThemeIcon size={56} radius="xl" variant="light" color="orange">
            <IconDoorExit size={28} />
          </ThemeIcon>
          <Title order={3}>{title}</Title>
          <Text c="dimmed" size="sm">
            {text}
          </Text>
          <Button onClick={onBack}>Back to workspaces</Button>
        </Stack>
      </Paper>
    </Center>
  );
}
