export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** 0..1: the share of the delay that is randomised, so many tabs do not reconnect in step. */
  jitter?: number;
  random?: () => number;
}

/** Delay before reconnect attempt `attempt` (1-based): base·2^(attempt-1), capped, with optional jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 1000, maxMs = 30_000, jitter = 0, random = Math.random } = options;
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  if (jitter <= 0) return exp;
  const spread = exp * Math.min(1, jitter);
  return Math.round(exp - spread + random() * spread);
}
