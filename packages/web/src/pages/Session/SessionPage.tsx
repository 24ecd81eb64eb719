import { Alert, Box, Button, Center, Loader, Stack } from '@mantine/core';
import { useFullscreenDocument, useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { FINAL_CLOSE_CODES, type SessionAccess } from '@porthole/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useMe } from '../../api/auth';
import { errorMessage, isApiError } from '../../api/client';
import { queryKeys } from '../../api/keys';
import { type SessionAction, sessionsApi, useDeleteSession, useSessionAction } from '../../api/sessions';
import { sharingApi, useSessionAccess } from '../../api/sharing';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useChat } from '../../modules/chat/use-chat';
import { useKeepalive } from '../../modules/keepalive/use-keepalive';
import { useNow } from '../../modules/time/use-now';
import { VncViewer, type VncViewerHandle, websockifyUrl } from '../../modules/vnc/VncViewer';
import type { VncStatus } from '../../modules/vnc/vnc-connection';
import { ChatPanel } from './ChatPanel';
import { ControlBar } from './ControlBar';
import { type Gone, SessionGone } from './SessionGone';
import { SessionOverlay } from './SessionOverlay';
import { SharePanel } from './SharePanel';
import { endedStates } from './session-state';

/**
 * The live desktop of one session with its control bar and chat, filling the window: for its owner,
 * and for people who joined it by link (viewers watch only; collaborators type and point too).
 */
export function SessionPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useMe();
  const access = useSessionAccess(id);
  const action = useSessionAction();
  const remove = useDeleteSession();
  const viewer = useRef<VncViewerHandle>(null);
  const [vnc, setVnc] = useState<VncStatus>({ kind: 'connecting', attempt: 1 });
  const [clipboard, setClipboard] = useState('');
  const [scaledChoice, setScaled] = useState<boolean | null>(null);
  const wide = useMediaQuery('(min-width: 62em)', true);
  const [chatChoice, setChatOpen] = useState<boolean | null>(null);
  const [gone, setGone] = useState<Gone | null>(null);
  const { toggle: toggleFullscreen, fullscreen } = useFullscreenDocument();
  const now = useNow(1000);

  const view = access.data?.session;
  const role = access.data?.role ?? 'viewer';
  const owner = role === 'owner';
  // Admins may manage anyone's session (the API lets them); participants may not.
  const canManage = owner || me.data?.isAdmin === true;
  const live = view !== undefined && !endedStates.includes(view.state);
  // Someone else's desktop fits the window by default: its size is the owner's.
  const scaled = scaledChoice ?? !owner;
  // Open by default once there is someone to chat with (shared, or joined), on a wide window; a
  // session nobody else can see keeps the whole width for its desktop.
  const chatOpen = chatChoice ?? (wide && (!owner || view?.shareId != null));

  const setSession = useCallback(
    (fresh: SessionAccess['session']) =>
      qc.setQueryData<SessionAccess>(queryKeys.sessionAccess(id), (old) =>
        old ? { ...old, session: fresh } : old,
      ),
    [id, qc],
  );
  const keepalive = useKeepalive(live && canManage, {
    // The answer carries the new expiry: show it at once rather than at the next poll.
    send: () => sessionsApi.keepalive(id).then(setSession),
  });

  /** Re-reads access before a reconnect: false once the session stopped or the caller lost it. */
  const stillWatching = useCallback(async () => {
    try {
      const fresh = await sharingApi.access(id);
      qc.setQueryData(queryKeys.sessionAccess(id), fresh);
      return fresh.session.state === 'running';
    } catch (e) {
      if (isApiError(e) && e.status === 404) {
        void access.refetch();
        return false;
      }
      // Signed out (here or in another tab; the server closed the stream with 4003): to sign-in.
      if (isApiError(e) && e.status === 401) {
        qc.setQueryData(queryKeys.me, null);
        return false;
      }
      throw e;
    }
  }, [id, qc, access]);

  // Kept open after the desktop is gone: the server closes it (4001/4004) and the panel says why.
  const chat = useChat(id, live, stillWatching);
  const chatLink = chat.state.link;
  // Others' messages that arrived while the panel was closed: a count on the chat button.
  const meId = me.data?.id;
  const othersWrote = chat.state.messages.filter((m) => m.kind === 'message' && m.userId !== meId).length;
  const [seen, setSeen] = useState(0);
  useEffect(() => {
    if (chatOpen) setSeen(othersWrote);
  }, [chatOpen, othersWrote]);
  const unread = chatOpen ? 0 : Math.max(0, othersWrote - seen);

  // A participant's way out: the server closed chat or stream for good, or the page lost access.
  useEffect(() => {
    if (owner || gone) return;
    if (chatLink.kind === 'closed' && (FINAL_CLOSE_CODES.includes(chatLink.code) || chatLink.code === 0)) {
      setGone({ code: chatLink.code, reason: chatLink.reason });
    } else if (vnc.kind === 'failed' && vnc.code !== undefined) {
      setGone({ code: vnc.code, reason: vnc.reason });
    } else if (access.data && isApiError(access.error) && access.error.status === 404) {
      setGone({ code: 0, reason: access.error.message });
    }
  }, [owner, gone, chatLink, vnc, access.data, access.error]);

  // The owner's chat ends with the session (4004): show the session's new state at once.
  useEffect(() => {
    if (owner && chatLink.kind === 'closed') void access.refetch();
  }, [owner, chatLink, access]);

  const refocus = () => viewer.current?.focus();
  const act = (a: SessionAction) =>
    action.mutate(
      { id, action: a },
      {
        onSuccess: setSession,
        onError: (e) =>
          notifications.show({ color: 'red', title: `Could not ${a} the session`, message: errorMessage(e) }),
        onSettled: refocus,
      },
    );

  if (access.isPending) {
    return (
      <Center h="100vh">
        <Loader />
      </Center>
    );
  }
  if (!view) {
    return (
      <Center h="100vh" p="xl">
        <Stack maw={520} w="100%">
          <ErrorAlert error={access.error} onRetry={() => void access.refetch()} />
          <Button variant="default" onClick={() => navigate('/')}>
            Back to workspaces
          </Button>
        </Stack>
      </Center>
    );
  }

  const running = view.state === 'running';
  const back = () => navigate('/');
  return (
    <Box
      h="100vh"
      style={{ display: 'flex', flexDirection: 'column', background: 'var(--mantine-color-dark-8)' }}
    >
      <ControlBar
        session={view}
        vnc={vnc}
        now={now}
        keepaliveAt={keepalive.lastSentAt}
        fullscreen={fullscreen}
        scaled={scaled}
        clipboardText={clipboard}
        busy={action.isPending}
        role={role}
        canManage={canManage}
        sharePanel={access.data?.mayShare ? <SharePanel session={view} now={now} /> : undefined}
        chatOpen={chatOpen}
        chatUnread={unread}
        onToggleChat={() => setChatOpen(!chatOpen)}
        onBack={back}
        onFullscreen={() => void toggleFullscreen().then(refocus)}
        onScale={() => setScaled(!scaled)}
        onSendClipboard={(text) => viewer.current?.pasteText(text)}
        onCtrlAltDel={() => {
          viewer.current?.sendCtrlAltDel();
          refocus();
        }}
        onReconnect={() => viewer.current?.reconnectNow()}
        onAction={act}
        onDelete={async () => {
          await remove.mutateAsync(id);
          navigate('/sessions');
        }}
      />
      {keepalive.lastError !== null && live && (
        <Alert color="orange" variant="filled" radius={0} py={4}>
          Keepalive failed: {errorMessage(keepalive.lastError)}
        </Alert>
      )}
      <Box style={{ display: 'flex', flex: 1, minHeight: 0 }}>
        <Box style={{ position: 'relative', flex: 1, minWidth: 0 }} data-testid="session-viewport">
          {gone ? (
            <SessionGone gone={gone} onBack={back} />
          ) : running ? (
            <VncViewer
              // A role change (re-joined as viewer) starts over with the new input rules.
              key={role}
              ref={viewer}
              url={websockifyUrl(view.streamPath, window.location)}
              scaleViewport={scaled}
              viewOnly={role === 'viewer'}
              resize={owner}
              onStatus={setVnc}
              onClipboard={setClipboard}
              shouldReconnect={stillWatching}
            />
          ) : (
            <SessionOverlay
              session={view}
              busy={action.isPending}
              canManage={canManage}
              onResume={() => act('resume')}
              onBack={back}
            />
          )}
        </Box>
        {chatOpen && (
          <Box w={320} style={{ flexShrink: 0, minHeight: 0 }}>
            <ChatPanel chat={chat} meUserId={me.data?.id} onClose={() => setChatOpen(false)} />
          </Box>
        )}
      </Box>
    </Box>
  );
}
