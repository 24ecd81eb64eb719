import {
  ActionIcon,
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  Stack,
  Text,
  Tooltip,
} from '@mantine/core';
import type { ApiKeyCreated } from '@porthole/contracts';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';

function CopyRow({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Group gap="xs" wrap="nowrap">
        <Code
          data-testid={testId}
          style={{ flex: 1, fontSize: 13, padding: '8px 12px', overflowX: 'auto', whiteSpace: 'nowrap' }}
        >
          {value}
        </Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow>
              <ActionIcon
                variant="default"
                size="lg"
                onClick={copy}
                aria-label={`Copy ${label}`}
                color={copied ? 'teal' : undefined}
              >
                {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

/**
 * The new key and its secret, once. The server keeps only a hash of the secret, so this dialog
 * does not close on a stray click outside or Escape: only the button that says it was saved.
 */
export function ApiKeySecretDialog({ created, onClose }: { created: ApiKeyCreated; onClose: () => void }) {
  const origin = typeof window === 'undefined' ? 'https://porthole.example' : window.location.origin;
  return (
    <Modal
      opened
      onClose={onClose}
      closeOnClickOutside={false}
      closeOnEscape={false}
      withCloseButton={false}
      size="lg"
      title={
        <Text fw={600} size="lg">
          API key {created.name} created
        </Text>
      }
    >
      <Stack gap="md">
        <Alert
          color="orange"
          variant="light"
          icon={<IconAlertTriangle size={18} />}
          title="Copy the secret now"
        >
          You will not see the secret again: Porthole keeps only a hash of it. If it is lost, create a new key
          and revoke this one.
        </Alert>
        <CopyRow label="API key" value={created.api_key} testId="api-key-value" />
        <CopyRow label="API key secret" value={created.api_key_secret} testId="api-key-secret-value" />
        <Text size="sm" c="dimmed">
          Send both as <Code>api_key</Code> and <Code>api_key_secret</Code> in the JSON body of a developer
          API call, or as HTTP Basic credentials, e.g.{' '}
          <Code>{`curl -u KEY:SECRET -X POST -H 'content-type: application/json' -d '{}' ${origin}/api/public/get_users`}</Code>
          .
        </Text>
        <Group justify="flex-end">
          <Button onClick={onClose}>I have saved the secret</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
