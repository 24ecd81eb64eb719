/**
 * Exponential backoff with full jitter on the upper half: many agents that lost the same server
 * at the same moment do not all come back at the same instant.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {
    if (!(initialMs > 0) || maxMs < initialMs) throw new Error('backoff needs 0 < initialMs <= maxMs');
  }

  /** The delay before the next attempt; grows from initialMs up to maxMs. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
