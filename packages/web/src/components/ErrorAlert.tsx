import { Alert, Button, Group, Text } from '@mantine/core';
import { IconAlertCircle, IconWifiOff } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client';

interface Props {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}

function titleFor(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong';
  switch (error.code) {
    case 'network':
      return 'Cannot reach the server';
    case 'forbidden':
      return 'Not allowed';
    case 'not_found':
      return 'Not found';
    case 'conflict':
      return 'Conflict';
    case 'unavailable':
      return 'Unavailable';
    case 'invalid':
      return 'Please check the form';
    case 'rate_limited':
      return 'Too many attempts';
    default:
      return 'Something went wrong';
  }
}

/** An error shown where it happened, with the server's message and, when useful, a retry. */
export function ErrorAlert({ error, title, onRetry }: Props) {
  const network = error instanceof ApiError && error.code === 'network';
  return (
    <Alert
      color="red"
      variant="light"
      title={title ?? titleFor(error)}
      icon={network ? <IconWifiOff size={18} /> : <IconAlertCircle size={18} />}
    >
      <Group justify="space-between" align="center" wrap="nowrap" gap="md">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry && (
          <Button size="xs" variant="white" color="red" onClick={onRetry}>
            Try again
          </Button>
        )}
      </Group>
    </Alert>
  );
}
