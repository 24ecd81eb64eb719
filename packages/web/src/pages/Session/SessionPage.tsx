import { useFullscreenDocument, useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import type { SessionAccess } from '@porthole/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useMe } from '../../api/auth';
import { errorMessage, isApiError } from '../../api/client';
import { queryKeys } from '../../api/keys';
import { type SessionAction, sessionsApi, useDeleteSession, useSessionAction } from '../../api/sessions';
import { sharingApi, useSessionAccess } from '../../api/sharing';
import { useChat } from '../../modules/chat/use-chat';
import { useKeepalive } from '../../modules/keepalive/use-keepalive';
import { useNow } from '../../modules/time/use-now';
import { VncViewer, type VncViewerHandle, websockifyUrl } from '../../modules/vnc/VncViewer';
import { SessionPageView } from './SessionPageView';
import { SharePanel } from './SharePanel';
import { endedStates } from './session-state';
import { useSessionPageState } from './useSessionPageState';

/**
 * The live desktop of one session with its control bar and chat, filling the window: for its owner,
 * and for people who joined it by link (viewers watch only; collaborators type and point too).
 * This is the container (reads, sockets, effects); SessionPageView draws it.
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
  const wide = useMediaQuery('(min-width: 62em)', true);
  const { toggle: toggleFullscreen, fullscreen } = useFullscreenDocument();
  const now = useNow(1000);

  const view = access.data?.session;
  const role = access.data?.role ?? 'viewer';
  const owner = role === 'owner';
  // Admins may manage anyone's session (the API lets them); participants may not.
  const canManage = owner || me.data?.isAdmin === true;
  const live = view !== undefined && !endedStates.includes(view.state);

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
  const meId = me.data?.id;
  const state = useSessionPageState({
    owner,
    shared: view?.shareId != null,
    wide,
    othersWrote: chat.state.messages.filter((m) => m.kind === 'message' && m.userId !== meId).length,
    chatLink,
    accessLost:
      access.data && isApiError(access.error) && access.error.status === 404 ? access.error.message : null,
  });

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
  const back = () => navigate('/');

  return (
    <SessionPageView
      loading={access.isPending}
      session={view}
      error={access.error}
      onRetry={() => void access.refetch()}
      role={role}
      canManage={canManage}
      live={live}
      desktop={
        view && (
          <VncViewer
            // A role change (re-joined as viewer) starts over with the new input rules.
            key={role}
            ref={viewer}
            url={websockifyUrl(view.streamPath, window.location)}
            scaleViewport={state.scaled}
            viewOnly={role === 'viewer'}
            resize={owner}
            onStatus={state.setVnc}
            onClipboard={state.setClipboard}
            shouldReconnect={stillWatching}
          />
        )
      }
      sharePanel={view && access.data?.mayShare ? <SharePanel session={view} now={now} /> : undefined}
      gone={state.gone}
      vnc={state.vnc}
      now={now}
      keepaliveAt={keepalive.lastSentAt}
      keepaliveError={keepalive.lastError}
      fullscreen={fullscreen}
      scaled={state.scaled}
      clipboardText={state.clipboard}
      busy={action.isPending}
      chat={chat}
      meUserId={meId}
      chatOpen={state.chatOpen}
      chatUnread={state.unread}
      onChatOpen={state.setChatOpen}
      onBack={back}
      onFullscreen={() => void toggleFullscreen().then(refocus)}
      onScale={() => state.setScaled(!state.scaled)}
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
  );
}
