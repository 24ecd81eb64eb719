import {
  ActionIcon,
  Badge,
  Box,
  Button,
  Divider,
  Group,
  Indicator,
  Popover,
  Text,
  Tooltip,
} from '@mantine/core';
import type { SessionRole, SessionView } from '@porthole/contracts';
import {
  IconArrowLeft,
  IconArrowsMaximize,
  IconArrowsMinimize,
  IconClipboard,
  IconDimensions,
  IconHeartbeat,
  IconKeyboard,
  IconMessages,
  IconPlayerPause,
  IconPlayerPlay,
  IconPlayerStop,
  IconShare,
  IconTrash,
} from '@tabler/icons-react';
import type { MouseEvent, ReactNode } from 'react';
import { ConfirmAction } from '../../components/ConfirmAction';
import { formatAge, formatCountdown } from '../../modules/time/format';
import type { VncStatus } from '../../modules/vnc/vnc-connection';
import { ClipboardPanel } from './ClipboardPanel';
import { ConnectionBadge } from './ConnectionBadge';
import { stateColor } from './session-state';

/** Buttons must not take focus from the desktop, or the next keystrokes would go to them. */
const keepFocus = (e: MouseEvent) => e.preventDefault();

function Tool({
  label,
  onClick,
  children,
  disabled,
  color,
  active,
}: {
  label: string;
  onClick: () => void;
  children: ReactNode;
  disabled?: boolean;
  color?: string;
  active?: boolean;
}) {
  return (
    <Tooltip label={label} withArrow>
      <ActionIcon
        variant={active ? 'light' : 'subtle'}
        color={color ?? 'gray'}
        size="lg"
        onClick={onClick}
        onMouseDown={keepFocus}
        disabled={disabled}
        aria-label={label}
      >
        {children}
      </ActionIcon>
    </Tooltip>
  );
}

function RoleBadge({ role }: { role: SessionRole }) {
  const hint =
    role === 'viewer'
      ? 'You are watching: your keyboard and mouse do not reach this desktop'
      : role === 'collaborator'
        ? 'You may type and point in this shared desktop'
        : 'Your session, shared by link';
  return (
    <Tooltip label={hint} withArrow>
      <Badge
        variant="light"
        color={role === 'owner' ? 'porthole' : role === 'collaborator' ? 'teal' : 'gray'}
        data-testid="role-badge"
      >
        {role}
      </Badge>
    </Tooltip>
  );
}

export interface ControlBarProps {
  session: SessionView;
  vnc: VncStatus;
  now: number;
  keepaliveAt: number | null;
  fullscreen: boolean;
  scaled: boolean;
  clipboardText: string;
  busy: boolean;
  /** The caller's role: viewers get no input tools. */
  role: SessionRole;
  /** Owner or admin: pause, stop, delete. */
  canManage: boolean;
  /** The owner's sharing controls, when the owner's groups allow sharing. */
  sharePanel?: ReactNode;
  chatOpen: boolean;
  /** Messages from others since the chat was last open. */
  chatUnread?: number;
  onToggleChat: () => void;
  onBack: () => void;
  onFullscreen: () => void;
  onScale: () => void;
  onSendClipboard: (text: string) => void;
  onCtrlAltDel: () => void;
  onReconnect: () => void;
  onAction: (action: 'pause' | 'resume' | 'stop') => void;
  onDelete: () => Promise<unknown>;
}

export function ControlBar(p: ControlBarProps) {
  const { session } = p;
  const running = session.state === 'running';
  const resumable = session.state === 'paused' || session.state === 'stopped';
  const expiry = formatCountdown(session.expiresAt, p.now);
  const input = p.role !== 'viewer';
  // Only worth saying once someone else can be here.
  const showRole = p.role !== 'owner' || session.shareId !== null;
  return (
    <Group
      h={48}
      px="sm"
      justify="space-between"
      wrap="nowrap"
      gap="xs"
      data-testid="control-bar"
      style={{
        borderBottom: '1px solid var(--mantine-color-default-border)',
        background: 'var(--mantine-color-body)',
        flexShrink: 0,
      }}
    >
      <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
        <Button
          variant="subtle"
          color="gray"
          size="compact-sm"
          leftSection={<IconArrowLeft size={16} />}
          onClick={p.onBack}
          onMouseDown={keepFocus}
          visibleFrom="md"
        >
          Workspaces
        </Button>
        <Box hiddenFrom="md">
          <Tool label="Back to workspaces" onClick={p.onBack}>
            <IconArrowLeft size={18} />
          </Tool>
        </Box>
        <Divider orientation="vertical" />
        <Text size="sm" fw={600} truncate style={{ minWidth: 48, maxWidth: 220 }}>
          {session.imageFriendlyName}
        </Text>
        {/* While the desktop shows, the connection badge says it all; other states need the name. */}
        {!running && (
          <Badge color={stateColor(session.state)} variant="light" data-testid="session-state">
            {session.state}
          </Badge>
        )}
        {running && <ConnectionBadge status={p.vnc} now={p.now} onReconnect={p.onReconnect} />}
        {showRole && <RoleBadge role={p.role} />}
      </Group>
      <Group gap={2} wrap="nowrap">
        <Tooltip
          label={
            p.keepaliveAt
              ? `Keepalive sent ${formatAge(new Date(p.keepaliveAt).toISOString(), p.now)}; expires in ${expiry.text}`
              : `Expires in ${expiry.text}`
          }
          withArrow
        >
          <Group gap={4} px={6} visibleFrom="sm" wrap="nowrap">
            <IconHeartbeat
              size={16}
              color={expiry.tone === 'danger' ? 'var(--mantine-color-red-5)' : 'var(--mantine-color-teal-5)'}
            />
            <Text size="xs" c="dimmed" ff="monospace">
              {expiry.text}
            </Text>
          </Group>
        </Tooltip>
        {p.sharePanel && (
          <Popover position="bottom-end" shadow="md" withArrow trapFocus={false}>
            <Popover.Target>
              <Tooltip label={session.shareId ? 'Sharing: link and participants' : 'Share'} withArrow>
                <ActionIcon
                  variant={session.shareId ? 'light' : 'subtle'}
                  color={session.shareId ? 'porthole' : 'gray'}
                  size="lg"
                  aria-label="Share"
                  data-testid="share-button"
                >
                  <IconShare size={18} />
                </ActionIcon>
              </Tooltip>
            </Popover.Target>
            <Popover.Dropdown>{p.sharePanel}</Popover.Dropdown>
          </Popover>
        )}
        <Indicator
          label={p.chatUnread}
          disabled={!p.chatUnread}
          size={16}
          offset={6}
          data-testid="chat-unread"
        >
          <Tool label={p.chatOpen ? 'Hide chat' : 'Show chat'} onClick={p.onToggleChat} active={p.chatOpen}>
            <IconMessages size={18} />
          </Tool>
        </Indicator>
        {input && (
          <Popover position="bottom-end" shadow="md" withArrow trapFocus={false}>
            <Popover.Target>
              <Tooltip label="Clipboard" withArrow>
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  size="lg"
                  aria-label="Clipboard"
                  disabled={!running}
                >
                  <IconClipboard size={18} />
                </ActionIcon>
              </Tooltip>
            </Popover.Target>
            <Popover.Dropdown>
              <ClipboardPanel received={p.clipboardText} onSend={p.onSendClipboard} />
            </Popover.Dropdown>
          </Popover>
        )}
        {input && (
          <Tool label="Send Ctrl+Alt+Del" onClick={p.onCtrlAltDel} disabled={!running}>
            <IconKeyboard size={18} />
          </Tool>
        )}
        <Tool
          label={
            p.scaled
              ? p.role === 'owner'
                ? 'Resize the desktop to the window'
                : 'Show the desktop at its own size'
              : 'Scale the desktop to fit'
          }
          onClick={p.onScale}
          active={p.scaled}
          disabled={!running}
        >
          <IconDimensions size={18} />
        </Tool>
        <Tool label={p.fullscreen ? 'Exit full screen' : 'Full screen'} onClick={p.onFullscreen}>
          {p.fullscreen ? <IconArrowsMinimize size={18} /> : <IconArrowsMaximize size={18} />}
        </Tool>
        {p.canManage && (
          <>
            <Divider orientation="vertical" mx={4} />
            {resumable ? (
              <Tool label="Resume" onClick={() => p.onAction('resume')} disabled={p.busy} color="teal">
                <IconPlayerPlay size={18} />
              </Tool>
            ) : (
              <Tool label="Pause" onClick={() => p.onAction('pause')} disabled={!running || p.busy}>
                <IconPlayerPause size={18} />
              </Tool>
            )}
            <Tool
              label="Stop"
              onClick={() => p.onAction('stop')}
              disabled={!(running || session.state === 'paused') || p.busy}
            >
              <IconPlayerStop size={18} />
            </Tool>
            <ConfirmAction
              title="Delete this session?"
              message={`The ${session.imageFriendlyName} session and everything in it will be gone. This cannot be undone.`}
              confirmLabel="Delete session"
              onConfirm={p.onDelete}
              trigger={(open) => (
                <Tool label="Delete session" onClick={open} color="red">
                  <IconTrash size={18} />
                </Tool>
              )}
            />
          </>
        )}
      </Group>
    </Group>
  );
}
