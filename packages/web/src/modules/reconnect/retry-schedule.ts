import { type BackoffOptions, backoffDelay } from '../vnc/backoff';

export interface RetryScheduleOptions {
  backoff?: BackoffOptions;
  /** Asked when a retry is due: false means coming back is pointless (no access, session gone). */
  shouldReconnect?: () => Promise<boolean>;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  now?: () => number;
}

/**
 * The wait between a dropped connection and the next attempt, shared by the desktop and the chat:
 * jittered exponential backoff (so many tabs do not reconnect in step), injectable timers for
 * tests, and the "is it still worth it" question asked when the wait is over.
 */
export class RetrySchedule {
  private timer: unknown = null;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly now: () => number;

  constructor(private readonly options: RetryScheduleOptions) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * Waits out attempt `attempt`'s delay, then calls `due` with the answer of `shouldReconnect`
   * (true when it cannot tell, e.g. offline: the backoff keeps trying cheap). Returns when the wait
   * ends (epoch ms). A new schedule or `cancel` drops the pending one.
   */
  schedule(attempt: number, due: (again: boolean) => void): number {
    const delay = backoffDelay(Math.max(1, attempt), { jitter: 0.2, ...this.options.backoff });
    this.cancel();
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.ask().then(due);
    }, delay);
    return this.now() + delay;
  }

  cancel(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private async ask(): Promise<boolean> {
    try {
      return this.options.shouldReconnect ? await this.options.shouldReconnect() : true;
    } catch {
      return true;
    }
  }
}
