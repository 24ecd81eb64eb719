import { FINAL_CLOSE_CODES, SESSION_ENDED_CLOSE_CODE } from '@porthole/contracts';
import { RetrySchedule } from '../reconnect/retry-schedule';
import type { BackoffOptions } from './backoff';

/** The slice of noVNC's RFB the connection drives; a fake stands in for it in tests. */
export interface RfbLike {
  viewOnly: boolean;
  scaleViewport: boolean;
  resizeSession: boolean;
  clipViewport: boolean;
  focusOnClick: boolean;
  background: string;
  addEventListener(type: string, listener: (event: CustomEvent) => void): void;
  disconnect(): void;
  focus(options?: FocusOptions): void;
  clipboardPasteFrom(text: string): void;
  sendCtrlAltDel(): void;
}

/**
 * Makes the RFB for one attempt. `onSocketClose` hears the WebSocket's close code, which noVNC's
 * own events do not carry (4001 "removed by the owner" must not be retried like a network drop).
 */
export type RfbFactory = (
  target: HTMLElement,
  url: string,
  onSocketClose: (code: number, reason: string) => void,
) => RfbLike;

export type VncStatus =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; retryAt: number }
  | { kind: 'disconnected'; reason: string }
  /** `code`: the WebSocket close code when the server ended the stream for good (4001, 4004). */
  | { kind: 'failed'; reason: string; code?: number };

export interface VncConnectionOptions {
  target: HTMLElement;
  url: string;
  createRfb: RfbFactory;
  onStatus: (status: VncStatus) => void;
  onClipboard?: (text: string) => void;
  /** Asked before each reconnect: false (e.g. the session was stopped) ends the retries. */
  shouldReconnect?: () => Promise<boolean>;
  backoff?: BackoffOptions;
  viewOnly?: boolean;
  scaleViewport?: boolean;
  /** False: never resize the remote screen (someone else's shared desktop). Default true. */
  resize?: boolean;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  now?: () => number;
}

/**
 * One live desktop: connects noVNC to the session's websockify path and reconnects with
 * exponential backoff after the network drops, until told to stop or the session is gone.
 * No credentials are ever passed: the proxy authorizes the stream by the sign-in cookie.
 */
export class VncConnection {
  private rfb: RfbLike | null = null;
  private attempt = 0;
  private stopped = false;
  private fatal: string | null = null;
  private fatalCode: number | undefined;
  private readonly resize: boolean;
  private viewOnly: boolean;
  private scaleViewport: boolean;
  private readonly retries: RetrySchedule;

  constructor(private readonly options: VncConnectionOptions) {
    this.viewOnly = options.viewOnly ?? false;
    this.scaleViewport = options.scaleViewport ?? false;
    this.resize = options.resize ?? true;
    this.retries = new RetrySchedule(options);
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Ends the connection for good (leaving the page, session stopped). */
  stop(reason = 'Disconnected'): void {
    this.stopped = true;
    this.retries.cancel();
    const rfb = this.rfb;
    this.rfb = null;
    rfb?.disconnect();
    this.options.onStatus({ kind: 'disconnected', reason });
  }

  /** Skips the wait: used by the “Reconnect now” button and when the browser comes back online. */
  reconnectNow(): void {
    if (this.rfb) return;
    this.retries.cancel();
    this.stopped = false;
    this.fatal = null;
    this.fatalCode = undefined;
    this.connect();
  }

  get connected(): boolean {
    return this.rfb !== null;
  }

  focus(): void {
    this.rfb?.focus({ preventScroll: true });
  }

  pasteText(text: string): void {
    this.rfb?.clipboardPasteFrom(text);
  }

  sendCtrlAltDel(): void {
    this.rfb?.sendCtrlAltDel();
  }

  setViewOnly(value: boolean): void {
    this.viewOnly = value;
    if (this.rfb) this.rfb.viewOnly = value;
  }

  setScaleViewport(value: boolean): void {
    this.scaleViewport = value;
    if (this.rfb) {
      this.rfb.scaleViewport = value;
      // Scaling shows the whole remote screen; otherwise the remote screen follows our size.
      this.rfb.resizeSession = this.resize && !value;
    }
  }

  private connect(): void {
    this.attempt++;
    this.options.onStatus({ kind: 'connecting', attempt: this.attempt });
    let rfb: RfbLike;
    try {
      rfb = this.options.createRfb(this.options.target, this.options.url, (code, reason) => {
        if (!FINAL_CLOSE_CODES.includes(code)) return;
        this.fatal =
          reason || (code === SESSION_ENDED_CLOSE_CODE ? 'the session ended' : 'removed by the owner');
        this.fatalCode = code;
      });
    } catch {
      this.rfb = null;
      this.scheduleReconnect();
      return;
    }
    rfb.viewOnly = this.viewOnly;
    rfb.scaleViewport = this.scaleViewport;
    rfb.resizeSession = this.resize && !this.scaleViewport;
    rfb.clipViewport = false;
    rfb.focusOnClick = true;
    rfb.background = '#1a1b1e';
    this.rfb = rfb;

    rfb.addEventListener('connect', () => {
      if (this.rfb !== rfb) return;
      this.attempt = 0;
      this.options.onStatus({ kind: 'connected' });
      rfb.focus({ preventScroll: true });
    });
    rfb.addEventListener('clipboard', (event) => {
      const detail = event.detail as { text?: unknown };
      if (typeof detail?.text === 'string') this.options.onClipboard?.(detail.text);
    });
    rfb.addEventListener('credentialsrequired', () => {
      // The browser never holds the VNC password; being asked means the stream was not authorized.
      this.fatal = 'The desktop asked for a password: the stream proxy did not authorize this connection.';
      rfb.disconnect();
    });
    rfb.addEventListener('securityfailure', (event) => {
      const detail = event.detail as { reason?: unknown };
      this.fatal = `The desktop refused the connection${typeof detail?.reason === 'string' ? `: ${detail.reason}` : '.'}`;
    });
    rfb.addEventListener('disconnect', () => {
      if (this.rfb !== rfb) return;
      this.rfb = null;
      if (this.stopped) return;
      if (this.fatal) {
        this.options.onStatus(
          this.fatalCode === undefined
            ? { kind: 'failed', reason: this.fatal }
            : { kind: 'failed', reason: this.fatal, code: this.fatalCode },
        );
        return;
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const retryAt = this.retries.schedule(this.attempt, (again) => this.retry(again));
    this.options.onStatus({ kind: 'reconnecting', attempt: this.attempt, retryAt });
  }

  private retry(again: boolean): void {
    if (this.stopped || this.rfb) return;
    if (!again) {
      this.stopped = true;
      this.options.onStatus({ kind: 'disconnected', reason: 'The session is no longer running.' });
      return;
    }
    this.connect();
  }
}
