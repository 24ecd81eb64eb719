/** Waiting for the system under test: polls with a deadline, sleeps, and a percentile for figures. */

/** Thrown by a probe to stop `until` at once (a state that can never become the one awaited). */
export class GiveUp extends Error {}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns something other than undefined/null/false, at most `timeoutMs`.
 * A probe that throws is retried (a server restarting refuses connections) until the deadline,
 * when the last error is reported.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms (${attempt + 1} probes) waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

/** The p-th percentile (0-100) of `values` (nearest rank), or NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
