import { Badge, Button, Group, Tooltip } from '@mantine/core';
import type { VncStatus } from '../../modules/vnc/vnc-connection';

export function connectionLabel(status: VncStatus, now: number): { text: string; color: string } {
  switch (status.kind) {
    case 'connected':
      return { text: 'Connected', color: 'teal' };
    case 'connecting':
      return {
        text: status.attempt > 1 ? `Connecting (try ${status.attempt})` : 'Connecting…',
        color: 'blue',
      };
    case 'reconnecting': {
      const s = Math.max(0, Math.ceil((status.retryAt - now) / 1000));
      return { text: `Connection lost · retrying in ${s}s`, color: 'orange' };
    }
    case 'failed':
      return { text: 'Connection refused', color: 'red' };
    case 'disconnected':
      return { text: 'Disconnected', color: 'gray' };
  }
}

export function ConnectionBadge({
  status,
  now,
  onReconnect,
}: {
  status: VncStatus;
  now: number;
  onReconnect: () => void;
}) {
  const { text, color } = connectionLabel(status, now);
  const reason = status.kind === 'failed' || status.kind === 'disconnected' ? status.reason : undefined;
  return (
    <Group gap={6} wrap="nowrap">
      <Tooltip label={reason ?? text} disabled={!reason} multiline maw={320} withArrow>
        <Badge
          color={color}
          variant="dot"
          size="lg"
          data-testid="connection-state"
          styles={{ root: { textTransform: 'none' } }}
        >
          {text}
        </Badge>
      </Tooltip>
      {(status.kind === 'reconnecting' || status.kind === 'failed') && (
        <Button
          size="compact-xs"
          variant="subtle"
          onClick={onReconnect}
          onMouseDown={(e) => e.preventDefault()}
        >
          Reconnect now
        </Button>
      )}
    </Group>
  );
}
