import { FINAL_CLOSE_CODES } from '@porthole/contracts';
import { useEffect, useReducer } from 'react';
import type { ChatLink } from '../../modules/chat/chat-state';
import type { VncStatus } from '../../modules/vnc/vnc-connection';
import type { Gone } from './SessionGone';

/** What the session page holds itself; the session, the chat and the keepalive live elsewhere. */
export interface SessionPageState {
  vnc: VncStatus;
  /** The text the session last copied. */
  clipboard: string;
  /** null until the user chose: then the default follows the role (see useSessionPageState). */
  scaledChoice: boolean | null;
  chatChoice: boolean | null;
  /** Latched: once a participant is out, later stream or chat events do not bring the desktop back. */
  gone: Gone | null;
  /** How many of the others' messages there were when the chat was last open. */
  seen: number;
}

export type SessionPageAction =
  | { type: 'vnc'; status: VncStatus }
  | { type: 'clipboard'; text: string }
  | { type: 'scale'; scaled: boolean }
  | { type: 'chat'; open: boolean }
  | { type: 'gone'; gone: Gone }
  | { type: 'seen'; count: number };

export const initialSessionPageState: SessionPageState = {
  vnc: { kind: 'connecting', attempt: 1 },
  clipboard: '',
  scaledChoice: null,
  chatChoice: null,
  gone: null,
  seen: 0,
};

export function sessionPageReducer(state: SessionPageState, action: SessionPageAction): SessionPageState {
  switch (action.type) {
    case 'vnc':
      return { ...state, vnc: action.status };
    case 'clipboard':
      return { ...state, clipboard: action.text };
    case 'scale':
      return { ...state, scaledChoice: action.scaled };
    case 'chat':
      return { ...state, chatChoice: action.open };
    case 'gone':
      return state.gone ? state : { ...state, gone: action.gone };
    case 'seen':
      return state.seen === action.count ? state : { ...state, seen: action.count };
  }
}

/**
 * Why a participant can no longer watch, if they cannot: the server closed the chat or the stream
 * for good, or the access read answered 404. Owners are never "gone": their page shows the
 * session's own state instead.
 */
export function participantGone(input: {
  owner: boolean;
  chatLink: ChatLink;
  vnc: VncStatus;
  /** The access read's 404 after it had answered before (a first 404 is the page's error). */
  accessLost: string | null;
}): Gone | null {
  const { owner, chatLink, vnc, accessLost } = input;
  if (owner) return null;
  // 0: the chat's access read said no before a reconnect.
  if (chatLink.kind === 'closed' && (FINAL_CLOSE_CODES.includes(chatLink.code) || chatLink.code === 0))
    return { code: chatLink.code, reason: chatLink.reason };
  if (vnc.kind === 'failed' && vnc.code !== undefined) return { code: vnc.code, reason: vnc.reason };
  if (accessLost !== null) return { code: 0, reason: accessLost };
  return null;
}

interface Inputs {
  owner: boolean;
  /** The session has a share link: someone else may be here to chat with. */
  shared: boolean;
  /** The window has room for the chat beside the desktop. */
  wide: boolean;
  /** Messages from others so far, for the unread count. */
  othersWrote: number;
  chatLink: ChatLink;
  accessLost: string | null;
}

/** The session page's own state, with the defaults that follow from the role and the window. */
export function useSessionPageState(inputs: Inputs) {
  const { owner, shared, wide, othersWrote, chatLink, accessLost } = inputs;
  const [state, dispatch] = useReducer(sessionPageReducer, initialSessionPageState);
  // Someone else's desktop fits the window by default: its size is the owner's.
  const scaled = state.scaledChoice ?? !owner;
  // Open by default once there is someone to chat with (shared, or joined), on a wide window; a
  // session nobody else can see keeps the whole width for its desktop.
  const chatOpen = state.chatChoice ?? (wide && (!owner || shared));
  const unread = chatOpen ? 0 : Math.max(0, othersWrote - state.seen);

  useEffect(() => {
    if (chatOpen) dispatch({ type: 'seen', count: othersWrote });
  }, [chatOpen, othersWrote]);

  const { vnc, gone } = state;
  useEffect(() => {
    if (gone) return;
    const why = participantGone({ owner, chatLink, vnc, accessLost });
    if (why) dispatch({ type: 'gone', gone: why });
  }, [owner, gone, chatLink, vnc, accessLost]);

  return {
    ...state,
    scaled,
    chatOpen,
    unread,
    setVnc: (status: VncStatus) => dispatch({ type: 'vnc', status }),
    setClipboard: (text: string) => dispatch({ type: 'clipboard', text }),
    setScaled: (value: boolean) => dispatch({ type: 'scale', scaled: value }),
    setChatOpen: (open: boolean) => dispatch({ type: 'chat', open }),
  };
}
