import type { ImagePullState } from '@porthole/contracts';
import type { Logger } from 'pino';
import type { ContainerRuntime, PullProgress } from '../runtime/container-runtime.js';
import { type EngineMonitor, isEngineUnavailable } from '../runtime/engine-monitor.js';
import { errorMessage } from '../util/errors.js';

/** What the scheduler reports to the metrics (metrics/agent-metrics.ts implements it). */
export interface PullMetrics {
  pullFailed(): void;
}

export interface PullSchedulerDeps {
  runtime: Pick<ContainerRuntime, 'imagePresent' | 'pullImage'>;
  logger: Logger;
  /** Pulls at the same time; default 2 (more only competes for the same link and disk). */
  concurrency?: number;
  /** Delay before retrying a failed pull: doubles from initialMs up to maxMs. */
  retry?: { initialMs: number; maxMs: number };
  now?: () => number;
  /**
   * An image became present or its pull failed: the server should hear it now, not at the next
   * check-in (right after start-up every image reads `missing` until checked, and a launch in
   * between would be refused).
   */
  onSettled?: (ref: string) => void;
  metrics?: PullMetrics;
  /** Told when the engine does not answer; the outage is its one warning, not one per image. */
  engine?: Pick<EngineMonitor, 'down'>;
}

interface Entry {
  ref: string;
  state: ImagePullState['state'];
  progress: PullProgress | null;
  message: string | null;
  failures: number;
  retryAt: number;
  checking: boolean;
  pulling: boolean;
}

const DEFAULT_RETRY = { initialMs: 5_000, maxMs: 5 * 60_000 };
const MAX_MESSAGE = 2000;

/**
 * Keeps every image the server wants on this host. A check-in hands over the wanted list; images
 * already present (pulled or built locally under that name) are never pulled; missing ones are
 * pulled a few at a time with progress for the next check-ins; failures keep Docker's message and
 * are retried with backoff, also while the server is unreachable.
 */
export class PullScheduler {
  private desired: string[] = [];
  private readonly entries = new Map<string, Entry>();
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly retry: { initialMs: number; maxMs: number };
  private readonly now: () => number;

  constructor(private readonly deps: PullSchedulerDeps) {
    this.concurrency = Math.max(1, deps.concurrency ?? 2);
    this.retry = deps.retry ?? DEFAULT_RETRY;
    this.now = deps.now ?? Date.now;
  }

  /** The server's current list; also re-checks that images we hold are still there. */
  setDesired(refs: readonly string[]): void {
    if (this.closed) return;
    this.desired = [...new Set(refs)];
    const wanted = new Set(this.desired);
    for (const ref of this.desired) {
      if (!this.entries.has(ref)) this.entries.set(ref, newEntry(ref));
    }
    // A pull the server stopped wanting finishes (it is half-downloaded); it is dropped after.
    for (const [ref, entry] of this.entries) if (!wanted.has(ref) && !entry.pulling) this.entries.delete(ref);
    for (const ref of this.desired) this.check(ref);
  }

  /** Pull state of every wanted image, for the check-in. */
  report(): ImagePullState[] {
    const out: ImagePullState[] = [];
    for (const ref of this.desired) {
      const entry = this.entries.get(ref);
      if (!entry) continue;
      const item: ImagePullState = { ref, state: entry.state };
      if (entry.state === 'pulling' && entry.progress) {
        item.layersDone = entry.progress.layersDone;
        item.layersTotal = entry.progress.layersTotal;
        item.bytesDone = entry.progress.bytesDone;
        item.bytesTotal = entry.progress.bytesTotal;
      }
      if (entry.state === 'error' && entry.message) item.message = entry.message;
      out.push(item);
    }
    return out;
  }

  /** Pulls downloading now (not those waiting for a retry). */
  pullsInProgress(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.pulling && entry.state === 'pulling') n += 1;
    return n;
  }

  /** Resolves when no check or pull is running (retries waiting on a timer do not count). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** The engine is back: failed pulls try again now instead of after their backoff. */
  retryNow(): void {
    if (this.closed) return;
    for (const entry of this.entries.values()) if (entry.state === 'error') entry.retryAt = 0;
    for (const ref of this.desired) this.check(ref);
  }

  /** Stops starting new work; pulls already running finish in the background. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private check(ref: string): void {
    const entry = this.entries.get(ref);
    if (!entry || entry.pulling || entry.checking) return;
    entry.checking = true;
    this.track(async () => {
      try {
        const present = await this.deps.runtime.imagePresent(ref);
        if (present) this.markPresent(entry, 'image present');
        else if (entry.state === 'present') {
          entry.state = 'missing';
          this.deps.logger.warn({ image: ref }, 'image disappeared from the host; pulling it again');
        }
      } catch (error) {
        // Docker unreachable: keep what we knew; the next check-in looks again.
        if (isEngineUnavailable(error)) this.deps.engine?.down(error);
        this.deps.logger.debug({ image: ref, err: errorMessage(error) }, 'could not check image');
      } finally {
        entry.checking = false;
      }
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.now();
    for (const ref of this.desired) {
      if (this.active >= this.concurrency) break;
      const entry = this.entries.get(ref);
      if (!entry || entry.pulling || entry.checking || entry.state === 'present') continue;
      if (entry.state === 'error' && entry.retryAt > now) continue;
      this.pull(entry);
    }
    this.armRetryTimer();
  }

  private pull(entry: Entry): void {
    entry.pulling = true;
    this.active += 1;
    const started = this.now();
    this.track(async () => {
      const log = this.deps.logger.child({ image: entry.ref });
      try {
        // Look once more: a local build may have landed since the last check, and a present
        // image must never be replaced by a registry copy.
        if (await this.deps.runtime.imagePresent(entry.ref)) {
          this.markPresent(entry, 'image present');
          return;
        }
        entry.state = 'pulling';
        entry.message = null;
        entry.progress = { layersDone: 0, layersTotal: 0, bytesDone: 0, bytesTotal: 0 };
        log.info({ attempt: entry.failures + 1 }, 'pulling image');
        await this.deps.runtime.pullImage(entry.ref, (progress) => {
          entry.progress = progress;
        });
        const bytes = entry.progress?.bytesTotal ?? 0;
        this.markPresent(entry, 'image pulled', { ms: this.now() - started, bytes });
      } catch (error) {
        entry.failures += 1;
        entry.state = 'error';
        entry.message = errorMessage(error).slice(0, MAX_MESSAGE);
        entry.progress = null;
        const delay = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** (entry.failures - 1));
        entry.retryAt = this.now() + delay;
        const fields = { err: entry.message, failures: entry.failures, retryInMs: delay };
        this.deps.metrics?.pullFailed();
        if (isEngineUnavailable(error) && this.deps.engine) {
          this.deps.engine.down(error);
          log.debug(fields, 'image pull failed: Docker Engine unreachable');
        } else log.warn(fields, 'image pull failed');
        this.deps.onSettled?.(entry.ref);
      } finally {
        entry.pulling = false;
        this.active -= 1;
        if (!this.desired.includes(entry.ref)) this.entries.delete(entry.ref);
      }
      this.pump();
    });
  }

  private markPresent(entry: Entry, message: string, extra: Record<string, unknown> = {}): void {
    const changed = entry.state !== 'present';
    if (changed) this.deps.logger.info({ image: entry.ref, ...extra }, message);
    entry.state = 'present';
    entry.message = null;
    entry.progress = null;
    entry.failures = 0;
    entry.retryAt = 0;
    if (changed) this.deps.onSettled?.(entry.ref);
  }

  private armRetryTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let next = Number.POSITIVE_INFINITY;
    for (const ref of this.desired) {
      const entry = this.entries.get(ref);
      if (entry?.state === 'error' && !entry.pulling) next = Math.min(next, entry.retryAt);
    }
    if (!Number.isFinite(next) || this.closed) return;
    this.timer = setTimeout(() => this.pump(), Math.max(0, next - this.now()));
    this.timer.unref();
  }

  private track(work: () => Promise<void>): void {
    const promise = work().finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
  }
}

function newEntry(ref: string): Entry {
  return {
    ref,
    state: 'missing',
    progress: null,
    message: null,
    failures: 0,
    retryAt: 0,
    checking: false,
    pulling: false,
  };
}
