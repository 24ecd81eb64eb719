import { WebSocket } from 'ws';

/**
 * WebSocket client helpers for the relay tests of both hops (the agent gateway's and the
 * embedded proxy's), which drive their relays the same way a browser does.
 */

/** Opens `url` with subprotocol `binary`; rejects with the HTTP status when the upgrade is refused. */
export function openWebSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, ['binary'], { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export const nextMessage = (ws: WebSocket) =>
  new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));

export const closed = (ws: WebSocket) =>
  new Promise<void>((resolve) =>
    ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()),
  );

/** The close code the socket gets next. */
export const closeCode = (ws: WebSocket) =>
  new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));

export async function until(probe: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
