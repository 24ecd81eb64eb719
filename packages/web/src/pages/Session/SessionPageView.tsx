import { Alert, Box, Button, Center, Loader, Stack } from '@mantine/core';
import type { SessionRole, SessionView } from '@porthole/contracts';
import type { ReactNode } from 'react';
import { errorMessage } from '../../api/client';
import type { SessionAction } from '../../api/sessions';
import { ErrorAlert } from '../../components/ErrorAlert';
import type { Chat } from '../../modules/chat/use-chat';
import type { VncStatus } from '../../modules/vnc/vnc-connection';
import { ChatPanel } from './ChatPanel';
import { ControlBar } from './ControlBar';
import { type Gone, SessionGone } from './SessionGone';
import { SessionOverlay } from './SessionOverlay';

export interface SessionPageViewProps {
  /** The access read has not answered yet. */
  loading: boolean;
  /** Undefined once loaded: the read failed, and `error` says why. */
  session: SessionView | undefined;
  error: unknown;
  onRetry: () => void;
  role: SessionRole;
  /** Owner or admin: pause, stop, resume, delete. */
  canManage: boolean;
  /** The session is not over: a keepalive failure is still worth showing. */
  live: boolean;
  /** The stream, as a slot: the page hands in the noVNC viewer, a test anything. */
  desktop: ReactNode;
  /** The owner's sharing controls, when the owner may share. */
  sharePanel?: ReactNode;
  gone: Gone | null;
  vnc: VncStatus;
  now: number;
  keepaliveAt: number | null;
  keepaliveError: unknown;
  fullscreen: boolean;
  scaled: boolean;
  clipboardText: string;
  /** A pause/stop/resume is on its way. */
  busy: boolean;
  chat: Chat;
  meUserId: string | undefined;
  chatOpen: boolean;
  chatUnread: number;
  onChatOpen: (open: boolean) => void;
  onBack: () => void;
  onFullscreen: () => void;
  onScale: () => void;
  onSendClipboard: (text: string) => void;
  onCtrlAltDel: () => void;
  onReconnect: () => void;
  onAction: (action: SessionAction) => void;
  onDelete: () => Promise<unknown>;
}

/**
 * The session page as the user sees it, from props alone: no fetching and no sockets, so each
 * state (loading, failed, connecting, gone, paused) can be rendered in a test.
 */
export function SessionPageView(p: SessionPageViewProps) {
  if (p.loading) {
    return (
      <Center h="100vh">
        <Loader />
      </Center>
    );
  }
  const { session } = p;
  if (!session) {
    return (
      <Center h="100vh" p="xl">
        <Stack maw={520} w="100%">
          <ErrorAlert error={p.error} onRetry={p.onRetry} />
          <Button variant="default" onClick={p.onBack}>
            Back to workspaces
          </Button>
        </Stack>
      </Center>
    );
  }

  const running = session.state === 'running';
  return (
    <Box
      h="100vh"
      style={{ display: 'flex', flexDirection: 'column', background: 'var(--mantine-color-dark-8)' }}
    >
      <ControlBar
        session={session}
        vnc={p.vnc}
        now={p.now}
        keepaliveAt={p.keepaliveAt}
        fullscreen={p.fullscreen}
        scaled={p.scaled}
        clipboardText={p.clipboardText}
        busy={p.busy}
        role={p.role}
        canManage={p.canManage}
        sharePanel={p.sharePanel}
        chatOpen={p.chatOpen}
        chatUnread={p.chatUnread}
        onToggleChat={() => p.onChatOpen(!p.chatOpen)}
        onBack={p.onBack}
        onFullscreen={p.onFullscreen}
        onScale={p.onScale}
        onSendClipboard={p.onSendClipboard}
        onCtrlAltDel={p.onCtrlAltDel}
        onReconnect={p.onReconnect}
        onAction={p.onAction}
        onDelete={p.onDelete}
      />
      {p.keepaliveError !== null && p.live && (
        <Alert color="orange" variant="filled" radius={0} py={4}>
          Keepalive failed: {errorMessage(p.keepaliveError)}
        </Alert>
      )}
      <Box style={{ display: 'flex', flex: 1, minHeight: 0 }}>
        <Box style={{ position: 'relative', flex: 1, minWidth: 0 }} data-testid="session-viewport">
          {p.gone ? (
            <SessionGone gone={p.gone} onBack={p.onBack} />
          ) : running ? (
            p.desktop
          ) : (
            <SessionOverlay
              session={session}
              busy={p.busy}
              canManage={p.canManage}
              onResume={() => p.onAction('resume')}
              onBack={p.onBack}
            />
          )}
        </Box>
        {p.chatOpen && (
          <Box w={320} style={{ flexShrink: 0, minHeight: 0 }}>
            <ChatPanel chat={p.chat} meUserId={p.meUserId} onClose={() => p.onChatOpen(false)} />
          </Box>
        )}
      </Box>
    </Box>
  );
}
