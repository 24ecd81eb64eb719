/**
 * A browser stand-in for the reliability scenarios: JSON over fetch to 127.0.0.1, the sign-in
 * cookie, and a client address of its own (X-Forwarded-For, believed by a server that trusts
 * 127.0.0.1) so the sign-in rate limits stay per simulated user. Every call is bounded in time.
 */

export interface Reply<T> {
  status: number;
  body: T;
  /** Milliseconds from sending to the whole body read. */
  ms: number;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

let addressSeq = 0;

export class Api {
  cookie: string | undefined;
  readonly address: string;
  /** Extra headers sent with every call (an API key's Authorization, say). */
  headers: Record<string, string> = {};

  constructor(
    public baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {
    addressSeq += 1;
    this.address = `198.18.${Math.floor(addressSeq / 250) % 250}.${(addressSeq % 250) + 1}`;
  }

  async request<T>(method: string, path: string, body?: unknown, raw = false): Promise<Reply<T>> {
    const headers: Record<string, string> = { 'x-forwarded-for': this.address, ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    const started = performance.now();
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? null : raw || typeof body === 'string' ? String(body) : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T, ms: performance.now() - started };
  }

  get<T>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T>(path: string) {
    return this.request<T>('DELETE', path);
  }

  async login(username: string, password: string): Promise<this> {
    const r = await this.post<unknown>('/api/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`sign-in as ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return this;
  }

  /** The answer's body; throws with the server's answer when the status is not `status`. */
  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, path, body);
    if (r.status !== status)
      throw new Error(`${method} ${path}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

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
