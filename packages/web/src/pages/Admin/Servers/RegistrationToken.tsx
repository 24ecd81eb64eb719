import { ActionIcon, Button, Card, Code, CopyButton, Group, Stack, Text, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy, IconEye, IconEyeOff, IconRefresh } from '@tabler/icons-react';
import { useState } from 'react';
import { useRegistrationToken, useRotateRegistrationToken } from '../../../api/admin';
import { ConfirmAction } from '../../../components/ConfirmAction';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { formatDateTime } from '../../../modules/time/format';

/** The token new agents register with; shown masked, copyable, rotatable. */
export function RegistrationToken() {
  const token = useRegistrationToken();
  const rotate = useRotateRegistrationToken();
  const [shown, setShown] = useState(false);
  return (
    <Card mb="lg">
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start">
          <div>
            <Text fw={600}>Agent registration token</Text>
            <Text size="sm" c="dimmed">
              Start an agent on another host with <Code>porthole agent --server-url … --token …</Code> to add
              a server.
            </Text>
          </div>
          <ConfirmAction
            title="Rotate the registration token?"
            message="Agents that already registered keep working. New agents need the new token."
            confirmLabel="Rotate token"
            color="orange"
            onConfirm={() => rotate.mutateAsync()}
            trigger={(open) => (
              <Button variant="default" size="xs" leftSection={<IconRefresh size={14} />} onClick={open}>
                Rotate
              </Button>
            )}
          />
        </Group>
        {token.isError ? (
          <ErrorAlert error={token.error} onRetry={() => void token.refetch()} />
        ) : (
          <Group gap="xs" wrap="nowrap">
            <Code
              style={{ flex: 1, fontSize: 13, padding: '8px 12px', overflowX: 'auto', whiteSpace: 'nowrap' }}
              data-testid="registration-token"
            >
              {token.data
                ? shown
                  ? token.data.token
                  : '•'.repeat(Math.min(40, token.data.token.length))
                : 'Loading…'}
            </Code>
            <Tooltip label={shown ? 'Hide' : 'Show'} withArrow>
              <ActionIcon
                variant="default"
                size="lg"
                onClick={() => setShown((s) => !s)}
                aria-label={shown ? 'Hide token' : 'Show token'}
              >
                {shown ? <IconEyeOff size={16} /> : <IconEye size={16} />}
              </ActionIcon>
            </Tooltip>
            <CopyButton value={token.data?.token ?? ''}>
              {({ copied, copy }) => (
                <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow>
                  <ActionIcon
                    variant="default"
                    size="lg"
                    onClick={copy}
                    disabled={!token.data}
                    aria-label="Copy token"
                    color={copied ? 'teal' : undefined}
                  >
                    {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                  </ActionIcon>
                </Tooltip>
              )}
            </CopyButton>
          </Group>
        )}
        {token.data && (
          <Text size="xs" c="dimmed">
            Last rotated {formatDateTime(token.data.rotatedAt)}
          </Text>
        )}
      </Stack>
    </Card>
  );
}
