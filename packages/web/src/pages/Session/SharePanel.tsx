import {
  ActionIcon,
  Badge,
  Button,
  CopyButton,
  Divider,
  Group,
  Stack,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import type { SessionView } from '@porthole/contracts';
import { IconCheck, IconCopy, IconUserMinus } from '@tabler/icons-react';
import { useState } from 'react';
import { errorMessage } from '../../api/client';
import { useKick, useParticipants, useShareToggle } from '../../api/sharing';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatAge } from '../../modules/time/format';

/** The link the server hands out (`<origin>/join/<shareId>`), rebuilt from the session's shareId. */
export function shareUrl(shareId: string, origin: string): string {
  return `${origin}/join/${shareId}`;
}

interface Props {
  session: SessionView;
  now: number;
}

/** The owner's sharing controls: the link, turning it off, and who joined (with a kick each). */
export function SharePanel({ session, now }: Props) {
  const shared = session.shareId !== null;
  const { enable, disable } = useShareToggle(session.id);
  const participants = useParticipants(session.id, shared);
  const kick = useKick(session.id);
  const url = session.shareId ? shareUrl(session.shareId, window.location.origin) : '';
  // Confirmed in place: a modal would sit outside the popover, and a click in it closes the popover.
  const [confirming, setConfirming] = useState(false);

  if (!shared) {
    return (
      <Stack gap="sm" w={340} data-testid="share-panel">
        <Text size="sm">
          Share this session by link: people who sign in and open it watch the desktop and chat with you.
        </Text>
        {enable.error && <ErrorAlert error={enable.error} />}
        <Button onClick={() => enable.mutate()} loading={enable.isPending} data-testid="share-enable">
          Share session
        </Button>
      </Stack>
    );
  }

  const items = participants.data ?? [];
  return (
    <Stack gap="sm" w={360} data-testid="share-panel">
      <Text size="sm" fw={600}>
        Anyone signed in with this link can join
      </Text>
      <Group gap={4} wrap="nowrap">
        <TextInput
          value={url}
          readOnly
          style={{ flex: 1 }}
          onFocus={(e) => e.currentTarget.select()}
          aria-label="Share link"
          data-testid="share-link"
        />
        <CopyButton value={url}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? 'Copied' : 'Copy link'} withArrow>
              <ActionIcon
                variant="light"
                size="lg"
                color={copied ? 'teal' : 'gray'}
                onClick={copy}
                aria-label="Copy link"
              >
                {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      </Group>
      <Divider label={`Participants (${items.length})`} labelPosition="left" />
      {participants.error && <ErrorAlert error={participants.error} />}
      {kick.error && (
        <Text size="xs" c="red">
          Could not remove: {errorMessage(kick.error)}
        </Text>
      )}
      {items.length === 0 && !participants.isPending && (
        <Text size="xs" c="dimmed">
          Nobody has joined yet.
        </Text>
      )}
      <Stack gap={4} data-testid="participants">
        {items.map((p) => (
          <Group key={p.userId} justify="space-between" wrap="nowrap" data-testid="participant">
            <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
              <Text size="sm" truncate>
                {p.username}
              </Text>
              <Badge size="xs" variant="light" color={p.role === 'collaborator' ? 'teal' : 'gray'}>
                {p.role}
              </Badge>
              <Text size="xs" c="dimmed" style={{ flexShrink: 0 }}>
                {formatAge(p.joinedAt, now)}
              </Text>
            </Group>
            <Tooltip label={`Remove ${p.username}`} withArrow>
              <ActionIcon
                variant="subtle"
                color="red"
                onClick={() => kick.mutate(p.userId)}
                loading={kick.isPending && kick.variables === p.userId}
                aria-label={`Remove ${p.username}`}
                data-testid="participant-kick"
              >
                <IconUserMinus size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        ))}
      </Stack>
      <Divider />
      {confirming ? (
        <Stack gap="xs" data-testid="share-disable-confirm">
          <Text size="sm">
            Stop sharing? The link stops working and everyone who joined is disconnected. Sharing again makes
            a new link.
          </Text>
          {disable.error && <ErrorAlert error={disable.error} />}
          <Group justify="flex-end" gap="xs">
            <Button
              variant="default"
              size="xs"
              onClick={() => setConfirming(false)}
              disabled={disable.isPending}
            >
              Cancel
            </Button>
            <Button
              color="red"
              size="xs"
              loading={disable.isPending}
              onClick={() => disable.mutate(undefined, { onSuccess: () => setConfirming(false) })}
              data-testid="share-disable-yes"
            >
              Stop sharing
            </Button>
          </Group>
        </Stack>
      ) : (
        <Button variant="light" color="red" onClick={() => setConfirming(true)} data-testid="share-disable">
          Stop sharing…
        </Button>
      )}
    </Stack>
  );
}
