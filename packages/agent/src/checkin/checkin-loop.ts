import type { AgentCheckinRequest, AgentCheckinResponse } from '@porthole/contracts';
import type { Logger } from 'pino';
import {
  type AgentCredentials,
  type ControlPlaneClient,
  ControlPlaneError,
} from '../control/control-client.js';
import { Backoff } from '../util/backoff.js';
import { errorMessage } from '../util/errors.js';

/** What the loop reports to the metrics (metrics/agent-metrics.ts implements it). */
export interface CheckinLoopMetrics {
  /** The server's round trip: report sent, answer received. */
  checkinSucceeded(seconds: number): void;
  checkinFailed(): void;
}

export interface CheckinLoopDeps {
  client: Pick<ControlPlaneClient, 'checkin'>;
  credentials: AgentCredentials;
  /** Builds the report; must not throw for a Docker outage (report what is known instead). */
  gather: () => Promise<AgentCheckinRequest>;
  /** Acts on the server's answer; its failures are logged, not counted as check-in failures. */
  apply: (response: AgentCheckinResponse) => Promise<void>;
  logger: Logger;
  intervalMs: number;
  /** While the server is unreachable: 1 s doubling to 30 s by default. */
  backoff?: Backoff;
  /** Where the identity lives, for the hint when the server no longer knows this agent. */
  identityPath?: string;
  metrics?: CheckinLoopMetrics;
}

const MIN_INTERVAL_MS = 1_000;
const MAX_INTERVAL_MS = 300_000;

/**
 * Checks in at the server's interval, backing off while it is unreachable. Nothing is lost while
 * it is down: every check-in reports the full current state, so the next one that lands catches up.
 */
export class CheckinLoop {
  private intervalMs: number;
  private readonly backoff: Backoff;
  private readonly controller = new AbortController();
  private wake: (() => void) | null = null;
  /** A trigger came while a check-in was under way: what it reported may be stale already. */
  private triggered = false;
  private loop: Promise<void> | null = null;
  private failing = false;
  lastSuccessAt: number | null = null;

  constructor(private readonly deps: CheckinLoopDeps) {
    this.intervalMs = clampInterval(deps.intervalMs);
    this.backoff = deps.backoff ?? new Backoff(1_000, 30_000);
  }

  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  /** Check in as soon as possible instead of waiting for the interval. */
  trigger(): void {
    this.triggered = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    this.wake?.();
    await this.loop;
  }

  /** One check-in; returns the delay before the next. */
  async once(): Promise<number> {
    let response: AgentCheckinResponse;
    try {
      const report = await this.deps.gather();
      const sent = performance.now();
      response = await this.deps.client.checkin(this.deps.credentials, report);
      this.deps.metrics?.checkinSucceeded((performance.now() - sent) / 1000);
    } catch (error) {
      this.deps.metrics?.checkinFailed();
      const delay = this.backoff.next();
      this.logFailure(error, delay);
      return delay;
    }
    if (this.failing) {
      this.deps.logger.info({ failures: this.backoff.failures }, 'check-in works again');
    }
    this.failing = false;
    this.backoff.reset();
    this.lastSuccessAt = Date.now();
    this.intervalMs = clampInterval(response.checkinIntervalSeconds * 1000);
    try {
      await this.deps.apply(response);
    } catch (error) {
      this.deps.logger.error({ err: errorMessage(error) }, 'acting on the check-in answer failed');
    }
    return this.intervalMs;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      this.triggered = false;
      const delay = await this.once();
      if (signal.aborted) return;
      // Triggered meanwhile: report again at once (unless backing off from a failure).
      if (this.triggered && !this.failing) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = null;
    }
  }

  private logFailure(error: unknown, retryInMs: number): void {
    const first = !this.failing;
    this.failing = true;
    const failures = this.backoff.failures;
    if (error instanceof ControlPlaneError && (error.status === 401 || error.status === 403)) {
      this.deps.logger.error(
        { err: error.message, retryInMs, failures },
        `the server does not accept this agent's credentials; if it was deleted there, remove ${
          this.deps.identityPath ?? 'agent.json'
        } and start the agent again with a registration token`,
      );
      return;
    }
    const fields = { err: errorMessage(error), retryInMs, failures };
    // One warning per outage, then quieter, so a long outage does not flood the log.
    if (first || failures % 10 === 0) this.deps.logger.warn(fields, 'check-in failed');
    else this.deps.logger.debug(fields, 'check-in failed');
  }
}

function clampInterval(ms: number): number {
  if (!Number.isFinite(ms)) return 5_000;
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, ms));
}
