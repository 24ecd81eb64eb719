import { useEffect, useRef, useState } from 'react';

export interface KeepaliveState {
  lastSentAt: number | null;
  lastError: unknown;
}

interface Options {
  intervalMs?: number;
  send: () => Promise<unknown>;
}

/**
 * Tells the server the session is still wanted: once on open, then every `intervalMs` while the tab
 * is visible (Page Visibility API). A tab coming back into view sends at once if one is due, so a
 * background tab lets the session expire as the group's keepalive setting intends.
 */
export function useKeepalive(enabled: boolean, { intervalMs = 60_000, send }: Options): KeepaliveState {
  const [state, setState] = useState<KeepaliveState>({ lastSentAt: null, lastError: null });
  const sendRef = useRef(send);
  sendRef.current = send;
  const lastSent = useRef<number>(0);

  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    const fire = async () => {
      if (document.visibilityState !== 'visible') return;
      lastSent.current = Date.now();
      try {
        await sendRef.current();
        if (!cancelled) setState({ lastSentAt: Date.now(), lastError: null });
      } catch (e) {
        if (!cancelled) setState((s) => ({ ...s, lastError: e }));
      }
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible' && Date.now() - lastSent.current >= intervalMs) void fire();
    };
    void fire();
    const timer = setInterval(() => void fire(), intervalMs);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      cancelled = true;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [enabled, intervalMs]);

  return state;
}
