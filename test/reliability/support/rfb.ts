import WebSocket, { type RawData } from 'ws';
import { type ApiClient, pageOrigin } from '../../support/http.js';

/**
 * Opens a session's stream through the server's embedded proxy as `api`'s browser would
 * (`/session/<id>/websockify`, subprotocol binary, the sign-in cookie) and resolves with the first
 * 12 bytes the workspace sends: the RFB banner. Rejects on any refusal or after `timeoutMs`.
 */
export function rfbBanner(api: ApiClient, sessionId: string, timeoutMs = 20_000): Promise<string> {
  const url = `${api.baseUrl.replace(/^http/, 'ws')}/session/${sessionId}/websockify`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['binary'], {
      headers: { origin: pageOrigin(url), ...(api.cookieHeader ? { cookie: api.cookieHeader } : {}) },
    });
    let received = Buffer.alloc(0);
    let settled = false;
    const done = (err: Error | null, banner?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      if (err) reject(err);
      else resolve(banner ?? '');
    };
    const timer = setTimeout(
      () => done(new Error(`no RFB banner from ${url} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    ws.on('message', (data: RawData) => {
      const chunk = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data as ArrayBuffer);
      received = Buffer.concat([received, chunk]);
      if (received.length >= 12) done(null, received.subarray(0, 12).toString('latin1'));
    });
    ws.on('unexpected-response', (_req, res) => done(new Error(`${url}: HTTP ${res.statusCode}`)));
    ws.on('error', (err) => done(err));
    ws.on('close', (code) => done(new Error(`${url} closed (${code}) before the banner`)));
  });
}
