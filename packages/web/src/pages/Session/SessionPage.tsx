import { Alert, Box, Button, Center, Loader, Stack } from '@mantine/core';
import { useFullscreenDocument } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { errorMessage } from '../../api/client';
import { queryKeys } from '../../api/keys';
import {
  type SessionAction,
  sessionsApi,
  useDeleteSession,
  useSession,
  useSessionAction,
} from '../../api/sessions';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useKeepalive } from '../../modules/keepalive/use-keepalive';
import { useNow } from '../../modules/time/use-now';
import { VncViewer, type VncViewerHandle, websockifyUrl } from '../../modules/vnc/VncViewer';
import type { VncStatus } from '../../modules/vnc/vnc-connection';
import { ControlBar } from './ControlBar';
import { SessionOverlay } from './SessionOverlay';
import { endedStates } from './session-state';

/** The live desktop of one session with its control bar, filling the window. */
export function SessionPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const session = useSession(id);
  const action = useSessionAction();
  const remove = useDeleteSession();
  const viewer = useRef<VncViewerHandle>(null);
  const [vnc, setVnc] = useState<VncStatus>({ kind: 'connecting', attempt: 1 });
  const [clipboard, setClipboard] = useState('');
  const [scaled, setScaled] = useState(false);
  const { toggle: toggleFullscreen, fullscreen } = useFullscreenDocument();
  const now = useNow(1000);

  const view = session.data;
  const live = view !== undefined && !endedStates.includes(view.state);
  const keepalive = useKeepalive(live, {
    // The answer carries the new expiry: show it at once rather than at the next poll.
    send: () => sessionsApi.keepalive(id).then((fresh) => qc.setQueryData(queryKeys.session(id), fresh)),
  });

  const shouldReconnect = useCallback(async () => {
    const fresh = await sessionsApi.get(id);
    qc.setQueryData(queryKeys.session(id), fresh);
    return fresh.state === 'running';
  }, [id, qc]);

  const refocus = () => viewer.current?.focus();
  const act = (a: SessionAction) =>
    action.mutate(
      { id, action: a },
      {
        onError: (e) =>
          notifications.show({ color: 'red', title: `Could not ${a} the session`, message: errorMessage(e) }),
        onSettled: refocus,
      },
    );

  if (session.isPending) {
    return (
      <Center h="100vh">
        <Loader />
      </Center>
    );
  }
  if (session.isError || !view) {
    return (
      <Center h="100vh" p="xl">
        <Stack maw={520} w="100%">
          <ErrorAlert error={session.error} onRetry={() => void session.refetch()} />
          <Button variant="default" onClick={() => navigate('/')}>
            Back to workspaces
          </Button>
        </Stack>
      </Center>
    );
  }

  const running = view.state === 'running';
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
        onBack={() => navigate('/')}
        onFullscreen={() => void toggleFullscreen().then(refocus)}
        onScale={() => setScaled((s) => !s)}
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
      <Box style={{ position: 'relative', flex: 1, minHeight: 0 }} data-testid="session-viewport">
        {running ? (
          <VncViewer
            ref={viewer}
            url={websockifyUrl(view.streamPath, window.location)}
            scaleViewport={scaled}
            onStatus={setVnc}
            onClipboard={setClipboard}
            shouldReconnect={shouldReconnect}
          />
        ) : (
          <SessionOverlay
            session={view}
            busy={action.isPending}
            onResume={() => act('resume')}
            onBack={() => navigate('/')}
          />
        )}
      </Box>
    </Box>
  );
}
