import { FINAL_CLOSE_CODES } from '@porthole/contracts';
import { RetrySchedule } from '../reconnect/retry-schedule';
import type { BackoffOptions } from '../vnc/backoff';
import { type ChatEvent, chatFrameSchema } from './chat-state';

/** The slice of the browser's WebSocket the connection uses; a fake stands in for it in tests. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

export interface ChatConnectionOptions {
  url: string;
  onEvent: (event: ChatEvent) => void;
  createSocket?: (url: string) => SocketLike;
  /** Asked before each reconnect: false (no access any more, session gone) stops for good. */
  shouldReconnect?: () => Promise<boolean>;
  backoff?: BackoffOptions;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  now?: () => number;
}

const OPEN = 1;

/** The chat socket URL on this origin for a session. */
export function chatUrl(sessionId: string, location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/sessions/${encodeURIComponent(sessionId)}/chat`;
}

/**
 * One chat socket with reconnect: exponential backoff after a drop or a server restart (1001), none
 * after 4001 (removed) or 4004 (session ended), which the server sends only when coming back would
 * be refused anyway. The sign-in cookie authenticates the socket; nothing else is sent.
 */
export class ChatConnection {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private stopped = false;
  private readonly retries: RetrySchedule;

  constructor(private readonly options: ChatConnectionOptions) {
    this.retries = new RetrySchedule(options);
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.retries.cancel();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'leaving');
  }

  /** Sends a message; false when the socket is not open (the caller keeps the text). */
  send(text: string): boolean {
    if (!this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify({ type: 'message', text }));
    return true;
  }

  reconnectNow(): void {
    if (this.socket || this.stopped) return;
    this.retries.cancel();
    this.connect();
  }

  private connect(): void {
    this.attempt++;
    this.options.onEvent({ type: 'connecting' });
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url) as SocketLike);
    let socket: SocketLike;
    try {
      socket = create(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.options.onEvent({ type: 'open' });
    });
    socket.addEventListener('message', (event) => {
      if (this.socket !== socket || typeof event.data !== 'string') return;
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch {
        return;
      }
      const frame = chatFrameSchema.safeParse(json);
      // A frame this client does not know is skipped, not fatal: the server may be newer.
      if (frame.success) this.options.onEvent({ type: 'frame', frame: frame.data });
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (FINAL_CLOSE_CODES.includes(event.code)) {
        this.stopped = true;
        this.options.onEvent({ type: 'closed', code: event.code, reason: event.reason });
        return;
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const retryAt = this.retries.schedule(this.attempt, (again) => this.retry(again));
    this.options.onEvent({ type: 'reconnecting', retryAt });
  }

  private retry(again: boolean): void {
    if (this.stopped || this.socket) return;
    if (!again) {
      this.stopped = true;
      this.options.onEvent({ type: 'closed', code: 0, reason: 'no access to this session any more' });
      return;
    }
    this.connect();
  }
}
