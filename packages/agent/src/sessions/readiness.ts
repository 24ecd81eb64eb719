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

/** The VNC server answered but turned the connection away (TigerVNC: "Too many security failures"). */
class RefusedError extends Error {}

/** RFB security type None, which workspace images offer behind websockify's basic auth. */
const SECURITY_NONE = 1;
/** After a good banner, how long the rest of the handshake may take before it is left unfinished. */
const HANDSHAKE_GRACE_MS = 250;

/**
 * One connection: resolves with the banner version, rejects with why it did not get one.
 *
 * After the banner the probe finishes the handshake as a viewer would (version, security None,
 * result) before it closes. A VNC server counts connections that end before authenticating:
 * TigerVNC refuses every connection from an address after five of them (websockify's are all
 * from 127.0.0.1, so that is everyone) and answers with an RFB 3.3 banner and a reason. An
 * authenticated probe clears that count, and a refusal is not mistaken for readiness. Porthole's
 * own images start Xvnc with the blacklist off; other Kasm-compatible images may not.
 */
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
    let version: string | null = null;
    let stage: 'banner' | 'refusal' | 'types' | 'result' = 'banner';
    let grace: NodeJS.Timeout | undefined;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
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
    /** A failure reason (u32 length, text) at `offset`, or null until all of it arrived. */
    const reasonAt = (offset: number): string | null => {
      if (received.length < offset + 4) return null;
      const length = received.readUInt32BE(offset);
      if (received.length < offset + 4 + length) return null;
      return received.subarray(offset + 4, offset + 4 + length).toString('latin1');
    };
    const refused = (offset: number) => {
      const reason = reasonAt(offset);
      if (reason !== null) settle(new RefusedError(`the VNC server refused the connection: ${reason}`));
    };
    const step = () => {
      if (stage === 'banner') {
        if (received.length < BANNER_LENGTH) return;
        const banner = received.subarray(0, BANNER_LENGTH).toString('latin1');
        const match = BANNER.exec(banner);
        if (!match) {
          settle(new Error(`unexpected banner ${JSON.stringify(banner)}`));
          return;
        }
        version = `003.00${match[1]}`;
        received = received.subarray(BANNER_LENGTH);
        // The banner is the readiness signal; the rest is bounded so it never holds readiness up.
        grace = setTimeout(() => settle(null), HANDSHAKE_GRACE_MS);
        if (match[1] === '3') stage = 'refusal';
        else if (match[1] === '7' || match[1] === '8') {
          ws.send(Buffer.from(`RFB ${version}\n`, 'latin1'));
          stage = 'types';
        } else {
          settle(null);
          return;
        }
      }
      if (stage === 'refusal') {
        // RFB 3.3: the server names the security type; 0 means it refused, and why follows.
        if (received.length < 4) return;
        if (received.readUInt32BE(0) === 0) refused(4);
        else settle(null);
        return;
      }
      if (stage === 'types') {
        const count = received[0];
        if (count === undefined) return;
        if (count === 0) {
          refused(1);
          return;
        }
        if (received.length < 1 + count) return;
        const offered = received.subarray(1, 1 + count);
        received = received.subarray(1 + count);
        if (!offered.includes(SECURITY_NONE)) {
          settle(null);
          return;
        }
        ws.send(Buffer.from([SECURITY_NONE]));
        if (version !== '003.008') {
          // RFB 3.7 sends no result for None; give the byte a moment on its way before closing.
          clearTimeout(grace);
          grace = setTimeout(() => settle(null), 50);
          return;
        }
        stage = 'result';
      }
      // RFB 3.8's SecurityResult: once it is here, the server has counted an authenticated client.
      if (stage === 'result' && received.length >= 4) settle(null);
    };
    ws.on('message', (data: RawData) => {
      received = Buffer.concat([received, toBuffer(data)]);
      step();
    });
    ws.on('unexpected-response', (_request, response) =>
      settle(new HttpStatusError(response.statusCode ?? 0)),
    );
    ws.on('error', (error: Error) => settle(error));
    ws.on('close', (code: number) => {
      // A good banner is ready even if the server hung up during the rest of the handshake.
      if (version !== null && stage !== 'refusal') settle(null);
      else settle(new Error(`connection closed before the RFB banner (code ${code})`));
    });
  });
}

/** ws reports its own handshake timeout as a plain Error with this text. */
function isTimeout(error: Error): boolean {
  return error instanceof BannerTimeoutError || /handshake has timed out/i.test(error.message);
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
      // An attempt the overall deadline cut short (our banner timer or ws's handshake timeout,
      // whichever fired first on a loaded machine) says less than the failure before it.
      const cutShort = isTimeout(current) && (window < SQUEEZED_ATTEMPT_MS || Date.now() >= deadline);
      if (!cutShort || lastError === null) lastError = current;
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
