import RFB from '@novnc/novnc';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { type RfbLike, VncConnection, type VncStatus } from './vnc-connection';

export interface VncViewerHandle {
  focus(): void;
  pasteText(text: string): void;
  sendCtrlAltDel(): void;
  reconnectNow(): void;
}

interface Props {
  /** Absolute ws(s):// URL of the session's websockify endpoint. */
  url: string;
  scaleViewport: boolean;
  viewOnly?: boolean;
  /** False for someone else's shared desktop: its size is the owner's. */
  resize?: boolean;
  onStatus: (status: VncStatus) => void;
  onClipboard?: (text: string) => void;
  shouldReconnect?: () => Promise<boolean>;
}

const createRfb = (
  target: HTMLElement,
  url: string,
  onSocketClose: (code: number, reason: string) => void,
): RfbLike => {
  // Our own WebSocket (noVNC accepts one) so the close code is visible: noVNC's events drop it.
  // Listening before noVNC attaches means this runs before its disconnect handling.
  const socket = new WebSocket(url);
  socket.addEventListener('close', (e) => onSocketClose(e.code, e.reason));
  // No credentials: the proxy authorizes the WebSocket by the sign-in cookie.
  return new RFB(target, socket, { shared: true }) as unknown as RfbLike;
};

/** The live desktop, filling its parent; noVNC resizes the remote screen to fit. */
export const VncViewer = forwardRef<VncViewerHandle, Props>(function VncViewer(
  { url, scaleViewport, viewOnly = false, resize = true, onStatus, onClipboard, shouldReconnect },
  ref,
) {
  const target = useRef<HTMLDivElement>(null);
  const connection = useRef<VncConnection | null>(null);
  // Callbacks change every render; the connection reads the latest through these refs.
  const callbacks = useRef({ onStatus, onClipboard, shouldReconnect });
  callbacks.current = { onStatus, onClipboard, shouldReconnect };
  const initial = useRef({ scaleViewport, viewOnly, resize });

  useEffect(() => {
    const el = target.current;
    if (!el) return;
    const conn = new VncConnection({
      target: el,
      url,
      createRfb,
      onStatus: (s) => callbacks.current.onStatus(s),
      onClipboard: (t) => callbacks.current.onClipboard?.(t),
      shouldReconnect: () => callbacks.current.shouldReconnect?.() ?? Promise.resolve(true),
      scaleViewport: initial.current.scaleViewport,
      viewOnly: initial.current.viewOnly,
      resize: initial.current.resize,
    });
    connection.current = conn;
    conn.start();
    const online = () => conn.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      connection.current = null;
      conn.stop();
    };
  }, [url]);

  useEffect(() => {
    connection.current?.setScaleViewport(scaleViewport);
  }, [scaleViewport]);
  useEffect(() => {
    connection.current?.setViewOnly(viewOnly);
  }, [viewOnly]);

  useImperativeHandle(
    ref,
    () => ({
      focus: () => connection.current?.focus(),
      pasteText: (text) => connection.current?.pasteText(text),
      sendCtrlAltDel: () => connection.current?.sendCtrlAltDel(),
      reconnectNow: () => connection.current?.reconnectNow(),
    }),
    [],
  );

  return (
    <div
      ref={target}
      data-testid="vnc-screen"
      style={{ position: 'absolute', inset: 0, overflow: 'hidden', background: '#1a1b1e' }}
    />
  );
});

/** The websockify URL on this origin for a session's stream path (`/session/<id>/`). */
export function websockifyUrl(streamPath: string, location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const base = streamPath.endsWith('/') ? streamPath : `${streamPath}/`;
  return `${scheme}//${location.host}${base}websockify`;
}
