import { Button, CopyButton, Divider, Group, Stack, Text, Textarea } from '@mantine/core';
import { IconArrowDown, IconArrowUp } from '@tabler/icons-react';
import { useState } from 'react';

interface Props {
  received: string;
  onSend: (text: string) => void;
  allowUp?: boolean;
  allowDown?: boolean;
}

/** Text in and out of the session: paste here to send, copy what the session put on its clipboard. */
export function ClipboardPanel({ received, onSend, allowUp = true, allowDown = true }: Props) {
  const [text, setText] = useState('');
  const [sent, setSent] = useState(false);
  return (
    <Stack gap="sm" w={340}>
      <Stack gap={6}>
        <Group gap={6}>
          <IconArrowUp size={14} />
          <Text size="sm" fw={600}>
            Send to the session
          </Text>
        </Group>
        <Textarea
          placeholder={
            allowUp ? 'Paste text here, then Send' : 'Your groups do not allow pasting into sessions'
          }
          autosize
          minRows={2}
          maxRows={6}
          value={text}
          disabled={!allowUp}
          onChange={(e) => {
            setText(e.currentTarget.value);
            setSent(false);
          }}
          aria-label="Text to send to the session"
        />
        <Group justify="flex-end">
          <Button
            size="xs"
            disabled={!allowUp || text.length === 0}
            onClick={() => {
              onSend(text);
              setSent(true);
            }}
          >
            {sent ? 'Sent — paste it in the session' : 'Send'}
          </Button>
        </Group>
      </Stack>
      <Divider />
      <Stack gap={6}>
        <Group gap={6}>
          <IconArrowDown size={14} />
          <Text size="sm" fw={600}>
            From the session
          </Text>
        </Group>
        {!allowDown ? (
          <Text size="sm" c="dimmed">
            Your groups do not allow copying out of sessions.
          </Text>
        ) : received ? (
          <>
            <Textarea
              value={received}
              readOnly
              autosize
              minRows={2}
              maxRows={6}
              aria-label="Text copied in the session"
            />
            <Group justify="flex-end">
              <CopyButton value={received}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="light" color={copied ? 'teal' : undefined} onClick={copy}>
                    {copied ? 'Copied' : 'Copy to my clipboard'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </>
        ) : (
          <Text size="sm" c="dimmed">
            Copy text in the session and it appears here.
          </Text>
        )}
      </Stack>
    </Stack>
  );
}
