import { Button, Center, Loader, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconLinkOff } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useNavigate, useParams } from 'react-router';
import { isApiError } from '../../api/client';
import { sharingApi } from '../../api/sharing';
import { ErrorAlert } from '../../components/ErrorAlert';

/** A share link that leads nowhere: unknown, revoked, or its session ended (404), or malformed (400). */
export function isDeadLink(error: unknown): boolean {
  return isApiError(error) && (error.status === 404 || error.status === 400);
}

/**
 * `/join/<shareId>`, the link the owner hands out. Signed-out visitors come back here after signing
 * in (RequireAuth). Joining makes the caller a participant; the session page then reads their role.
 */
export function JoinPage() {
  const { shareId = '' } = useParams();
  const navigate = useNavigate();
  const join = useMutation({
    mutationFn: () => sharingApi.join(shareId),
    onSuccess: (r) => navigate(`/sessions/${encodeURIComponent(r.session.id)}`, { replace: true }),
  });
  const started = useRef(false);

  useEffect(() => {
    // Once per visit: each join posts "X joined" in the chat (StrictMode runs effects twice).
    if (started.current) return;
    started.current = true;
    join.mutate();
  }, [join]);

  if (join.isError) {
    return (
      <Center h="100vh" p="xl">
        <Paper p="xl" radius="lg" shadow="lg" maw={480} w="100%" withBorder>
          {isDeadLink(join.error) ? (
            <Stack align="center" ta="center" gap="md" data-testid="join-dead-link">
              <ThemeIcon size={56} radius="xl" variant="light" color="gray">
                <IconLinkOff size={28} />
              </ThemeIcon>
              <Title order={3}>This link does not work any more</Title>
              <Text size="sm" c="dimmed">
                The owner stopped sharing the session, or it has ended. Ask them for a new link.
              </Text>
              <Button onClick={() => navigate('/')}>Go to your workspaces</Button>
            </Stack>
          ) : (
            <Stack>
              <ErrorAlert error={join.error} onRetry={() => join.mutate()} />
              <Button variant="default" onClick={() => navigate('/')}>
                Go to your workspaces
              </Button>
            </Stack>
          )}
        </Paper>
      </Center>
    );
  }
  return (
    <Center h="100vh">
      <Stack align="center" gap="sm">
        <Loader />
        <Text size="sm" c="dimmed">
          Joining the shared session…
        </Text>
      </Stack>
    </Center>
  );
}
