import {
  ActionIcon,
  Alert,
  Badge,
  Box,
  Button,
  Group,
  ScrollArea,
  Stack,
  Text,
  Textarea,
  Tooltip,
} from '@mantine/core';
import { CHAT_MAX_LENGTH, type ChatMessage } from '@porthole/contracts';
import { IconSend, IconX } from '@tabler/icons-react';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { type ChatState, canSend, groupPresence } from '../../modules/chat/chat-state';
import type { Chat } from '../../modules/chat/use-chat';

const roleColor = { owner: 'porthole', collaborator: 'teal', viewer: 'gray' } as const;

function formatTime(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * One chat line. Text and names are React text nodes only: the server stores messages verbatim,
 * so `<img onerror=…>` must stay the characters it is (no innerHTML, no Markdown, no links).
 */
function Line({ m, mine }: { m: ChatMessage; mine: boolean }) {
  if (m.kind !== 'message') {
    return (
      <Text
        size="xs"
        c="dimmed"
        ta="center"
        fs="italic"
        data-testid="chat-notice"
        data-kind={m.kind}
        title={new Date(m.at).toLocaleString()}
      >
        {m.text} · {formatTime(m.at)}
      </Text>
    );
  }
  return (
    <Box data-testid="chat-message" data-mine={mine || undefined}>
      <Group gap={6} wrap="nowrap" align="baseline">
        <Text size="xs" fw={700} truncate c={mine ? 'porthole' : undefined} data-testid="chat-author">
          {m.username}
        </Text>
        <Text size="xs" c="dimmed" title={new Date(m.at).toLocaleString()} style={{ flexShrink: 0 }}>
          {formatTime(m.at)}
        </Text>
      </Group>
      <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid="chat-text">
        {m.text}
      </Text>
    </Box>
  );
}

function LinkState({ state, onReconnect }: { state: ChatState; onReconnect: () => void }) {
  const { link } = state;
  if (link.kind === 'closed') {
    return (
      <Alert color="red" variant="light" p="xs" data-testid="chat-closed">
        Chat closed: {link.reason || 'the connection ended'}.
      </Alert>
    );
  }
  if (link.kind === 'reconnecting') {
    return (
      <Alert color="orange" variant="light" p="xs">
        <Group gap="xs" justify="space-between" wrap="nowrap">
          <Text size="xs">Chat connection lost, reconnecting…</Text>
          <Button size="compact-xs" variant="subtle" onClick={onReconnect}>
            Now
          </Button>
        </Group>
      </Alert>
    );
  }
  if (link.kind === 'open' && state.available === false) {
    return (
      <Alert color="yellow" variant="light" p="xs" data-testid="chat-unavailable">
        Chat unavailable right now; it comes back by itself.
      </Alert>
    );
  }
  return null;
}

interface Props {
  chat: Chat;
  meUserId: string | undefined;
  onClose: () => void;
}

/** The session's chat: who is here, the messages and notices, and the input. */
export function ChatPanel({ chat, meUserId, onClose }: Props) {
  const { state } = chat;
  const [draft, setDraft] = useState('');
  const viewport = useRef<HTMLDivElement>(null);
  const people = groupPresence(state.presence);
  const ready = canSend(state);
  const trimmed = draft.trim();

  // Follow new messages, as chats do.
  const count = state.messages.length;
  useEffect(() => {
    const el = viewport.current;
    if (count > 0 && el) el.scrollTo({ top: el.scrollHeight });
  }, [count]);

  const submit = () => {
    if (!ready || trimmed.length === 0 || trimmed.length > CHAT_MAX_LENGTH) return;
    if (chat.send(trimmed)) setDraft('');
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <Stack
      gap={0}
      h="100%"
      data-testid="chat-panel"
      style={{
        borderLeft: '1px solid var(--mantine-color-default-border)',
        background: 'var(--mantine-color-body)',
      }}
    >
      <Group justify="space-between" px="sm" py={6} wrap="nowrap">
        <Text fw={600} size="sm">
          Chat
        </Text>
        <Tooltip label="Hide chat" withArrow>
          <ActionIcon variant="subtle" color="gray" onClick={onClose} aria-label="Hide chat">
            <IconX size={16} />
          </ActionIcon>
        </Tooltip>
      </Group>
      <Box px="sm" pb={6} data-testid="chat-presence">
        <Text size="xs" c="dimmed" mb={4}>
          Here now ({people.length})
        </Text>
        <Group gap={4}>
          {people.map((p) => (
            <Tooltip
              key={p.userId}
              label={`${p.role}${p.connections > 1 ? ` · ${p.connections} tabs` : ''}`}
              withArrow
            >
              <Badge
                variant="light"
                color={roleColor[p.role]}
                styles={{ root: { textTransform: 'none', maxWidth: 200 } }}
                data-testid="chat-person"
                data-role={p.role}
              >
                {p.username}
                {p.userId === meUserId ? ' (you)' : ''}
              </Badge>
            </Tooltip>
          ))}
        </Group>
      </Box>
      <Stack gap={4} px="sm">
        <LinkState state={state} onReconnect={chat.reconnectNow} />
        {/* The server explains a final close in an error frame too; the closed notice says it once. */}
        {state.error !== null && state.link.kind !== 'closed' && (
          <Alert
            color="red"
            variant="light"
            p="xs"
            withCloseButton
            onClose={chat.dismissError}
            data-testid="chat-error"
          >
            {state.error}
          </Alert>
        )}
      </Stack>
      <ScrollArea viewportRef={viewport} style={{ flex: 1, minHeight: 0 }} px="sm" py="xs">
        <Stack gap={8} data-testid="chat-messages">
          {state.messages.length === 0 && (
            <Text size="xs" c="dimmed" ta="center">
              No messages yet.
            </Text>
          )}
          {state.messages.map((m) => (
            <Line key={m.id} m={m} mine={m.kind === 'message' && m.userId === meUserId} />
          ))}
        </Stack>
      </ScrollArea>
      <Box p="sm" style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
        <Textarea
          value={draft}
          onChange={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={onKey}
          placeholder={ready ? 'Message (Enter to send)' : 'Chat unavailable'}
          disabled={!ready}
          rows={2}
          resize="vertical"
          maxLength={CHAT_MAX_LENGTH}
          aria-label="Chat message"
          data-testid="chat-input"
        />
        <Group justify="space-between" mt={4} wrap="nowrap">
          <Text size="xs" c={draft.length >= CHAT_MAX_LENGTH ? 'red' : 'dimmed'}>
            {draft.length}/{CHAT_MAX_LENGTH}
          </Text>
          <Button
            size="compact-sm"
            rightSection={<IconSend size={14} />}
            onClick={submit}
            disabled={!ready || trimmed.length === 0}
            data-testid="chat-send"
          >
            Send
          </Button>
        </Group>
      </Box>
    </Stack>
  );
}
