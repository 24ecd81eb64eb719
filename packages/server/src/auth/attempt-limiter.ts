import type { Clock } from '../platform/clock.js';

export interface LimitRule {
  max: number;
  windowMs: number;
}

/**
 * Fixed-window counters for sign-in attempts, per key (account or address). Kept in process
 * memory: each server replica limits on its own, so the effective limit is max × replicas.
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly rule: LimitRule,
    private readonly clock: Clock,
  ) {}

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const w = this.current(key);
    if (!w || w.count < this.rule.max) return 0;
    return Math.max(1, Math.ceil((w.start + this.rule.windowMs - this.clock.now().getTime()) / 1000));
  }

  record(key: string): void {
    const now = this.clock.now().getTime();
    const w = this.current(key);
    if (w) w.count += 1;
    else this.windows.set(key, { start: now, count: 1 });
    if (this.windows.size > 50_000) this.prune();
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private current(key: string) {
    const w = this.windows.get(key);
    if (!w) return undefined;
    if (this.clock.now().getTime() - w.start >= this.rule.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private prune(): void {
    const now = this.clock.now().getTime();
    for (const [key, w] of this.windows) if (now - w.start >= this.rule.windowMs) this.windows.delete(key);
  }
}
