import { useCallback, useEffect, useReducer, useRef } from 'react';
import { ChatConnection, chatUrl } from './chat-connection';
import { type ChatState, chatReducer, initialChatState } from './chat-state';

export interface Chat {
  state: ChatState;
  /** False when the socket is not open: the input keeps the text. */
  send: (text: string) => boolean;
  dismissError: () => void;
  reconnectNow: () => void;
}

/** The chat of one session for as long as the component is mounted (and `enabled`). */
export function useChat(sessionId: string, enabled: boolean, shouldReconnect?: () => Promise<boolean>): Chat {
  const [state, dispatch] = useReducer(chatReducer, initialChatState);
  const connection = useRef<ChatConnection | null>(null);
  // The callback changes every render; the connection reads the latest through this ref.
  const ask = useRef(shouldReconnect);
  ask.current = shouldReconnect;

  useEffect(() => {
    if (!enabled) return;
    const conn = new ChatConnection({
      url: chatUrl(sessionId, window.location),
      onEvent: dispatch,
      shouldReconnect: () => ask.current?.() ?? Promise.resolve(true),
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
  }, [sessionId, enabled]);

  const send = useCallback((text: string) => connection.current?.send(text) ?? false, []);
  const dismissError = useCallback(() => dispatch({ type: 'dismiss-error' }), []);
  const reconnectNow = useCallback(() => connection.current?.reconnectNow(), []);
  return { state, send, dismissError, reconnectNow };
}
