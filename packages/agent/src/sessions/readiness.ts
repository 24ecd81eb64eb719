import WebSocket, { type RawData } from 'ws';

export interface WaitForRfbOptions {
  /** The container's published port lives on the agent's loopback. */
  host?: string;
  port: number;
  /** The session's VNC_PW. */
  password: string;
  user?: string;
  path?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface RfbReady {
  elapsedMs: number;
  attempts: number;
  /** The banner's version, e.g. "003.008". */
  version: string;
}

export class RfbNotReadyError extends Error {
  override readonly name = 'RfbNotReadyError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly lastError: Error | null,
    /** True when retrying cannot help (wrong credentials). */
    readonly permanent = false,
  ) {
    super(message, { cause: lastError ?? undefined });
  }
}

const BANNER = /^RFB 003\.00(\d)\n$/;
const BANNER_LENGTH = 12;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 250;
/** One attempt may not hang longer than this even when the overall deadline is far away. */
const ATTEMPT_CAP_MS = 5_000;
const SQUEEZED_ATTEMPT_MS = 100;

class BannerTimeoutError extends Error {}

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`websockify answered HTTP ${status}`);
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** One connection: resolves with the banner version, rejects with why it did not get one. */
function attempt(
  url: string,
  authorization: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['binary'], {
      rejectUnauthorized: false,
      headers: { Authorization: authorization },
      handshakeTimeout: timeoutMs,
    });
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (error: Error | null, version?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ws.terminate();
      if (error) reject(error);
      else resolve(version ?? '');
    };
    const onAbort = () => settle(new Error('aborted'));
    const timer = setTimeout(
      () => settle(new BannerTimeoutError(`no RFB banner within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('message', (data: RawData) => {
      received = Buffer.concat([received, toBuffer(data)]);
      if (received.length < BANNER_LENGTH) return;
      const banner = received.subarray(0, BANNER_LENGTH).toString('latin1');
      const match = BANNER.exec(banner);
      if (match) settle(null, `003.00${match[1]}`);
      else settle(new Error(`unexpected banner ${JSON.stringify(banner)}`));
    });
    ws.on('unexpected-response', (_request, response) =>
      settle(new HttpStatusError(response.statusCode ?? 0)),
    );
    ws.on('error', (error: Error) => settle(error));
    ws.on('close', (code: number) =>
      settle(new Error(`connection closed before the RFB banner (code ${code})`)),
    );
  });
}

function describe(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code)
    ? `${code}: ${error.message}`
    : error.message;
}

/**
 * Waits until the workspace's websockify accepts our credentials and the VNC server behind it
 * speaks: the first 12 bytes of RFB. Retries refused/reset/closed connections with a short
 * backoff (the container is still starting); gives up at once on 401/403, which will not heal.
 */
export async function waitForRfb(options: WaitForRfbOptions): Promise<RfbReady> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const host = options.host ?? '127.0.0.1';
  const url = `wss://${host.includes(':') ? `[${host}]` : host}:${options.port}${options.path ?? '/websockify'}`;
  const credentials = Buffer.from(`${options.user ?? 'kasm_user'}:${options.password}`).toString('base64');
  const authorization = `Basic ${credentials}`;
  let attempts = 0;
  let delay = FIRST_DELAY_MS;
  let lastError: Error | null = null;
  const fail = (message: string, permanent = false) =>
    new RfbNotReadyError(message, attempts, Date.now() - started, lastError, permanent);

  while (true) {
    if (options.signal?.aborted) throw fail('waiting for RFB was aborted');
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw fail(
        `RFB on ${host}:${options.port} not ready after ${options.timeoutMs} ms` +
          (lastError ? `: ${describe(lastError)}` : ''),
      );
    }
    attempts += 1;
    const window = Math.min(remaining, ATTEMPT_CAP_MS);
    try {
      const version = await attempt(url, authorization, window, options.signal);
      return { elapsedMs: Date.now() - started, attempts, version };
    } catch (error) {
      const current = error instanceof Error ? error : new Error(String(error));
      // A last attempt squeezed by the deadline says less than the failure before it.
      const squeezed = current instanceof BannerTimeoutError && window < SQUEEZED_ATTEMPT_MS;
      if (!squeezed || lastError === null) lastError = current;
      if (lastError instanceof HttpStatusError && (lastError.status === 401 || lastError.status === 403)) {
        throw fail(
          `websockify on ${host}:${options.port} rejected the session credentials (${lastError.status})`,
          true,
        );
      }
    }
    const pause = Math.min(delay, Math.max(0, deadline - Date.now()));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    await sleep(pause, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
