import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { pageOrigin, SESSION_COOKIE } from '../../support/http.js';

export interface ServerInit {
  width: number;
  height: number;
  name: string;
}

export interface OpenOptions {
  /** The `porthole_session` cookie value. */
  cookie?: string;
  headers?: Record<string, string>;
  /** The Origin sent: the page origin of `url` unless given; null sends none. */
  origin?: string | null;
  /** Trusted CA for wss (the test nginx's certificate). */
  ca?: string;
  timeoutMs?: number;
}

/** A refused WebSocket upgrade: the HTTP status and body the proxy answered with. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: string,
  ) {
    super(`upgrade refused with ${status}: ${body.slice(0, 200)}`);
  }
}

/**
 * A minimal RFB client over a WebSocket (subprotocol `binary`), as noVNC speaks it: reads exact
 * byte counts across message boundaries, and writes the client messages the tests need.
 */
export class RfbClient {
  /** Every client not yet closed, so a failed test cannot leave a stream open for the next. */
  private static readonly live = new Set<RfbClient>();
  private buffered: Buffer[] = [];
  private length = 0;
  private waiter: (() => void) | undefined;
  private closedWith: { code: number } | undefined;
  /** Every byte received, capped at 64 KiB (scanned for secrets). */
  readonly firstBytes: Buffer[] = [];
  private firstLength = 0;

  private constructor(
    readonly ws: WebSocket,
    readonly upgradeHeaders: IncomingHttpHeaders,
  ) {
    ws.on('message', (data: Buffer) => {
      this.buffered.push(data);
      this.length += data.length;
      if (this.firstLength < 65_536) {
        this.firstBytes.push(data);
        this.firstLength += data.length;
      }
      this.waiter?.();
    });
    ws.on('close', (code) => {
      this.closedWith = { code };
      RfbClient.live.delete(this);
      this.waiter?.();
    });
    RfbClient.live.add(this);
  }

  /** Closes every client still open (afterEach). */
  static async closeAll(): Promise<void> {
    await Promise.all([...RfbClient.live].map((c) => c.close()));
  }

  /** Opens the socket; rejects with UpgradeRefused when the proxy answers anything but 101. */
  static open(url: string, opts: OpenOptions = {}): Promise<RfbClient> {
    const origin = opts.origin === undefined ? pageOrigin(url) : opts.origin;
    const headers: Record<string, string> = { ...(origin === null ? {} : { origin }), ...opts.headers };
    if (opts.cookie !== undefined) headers.cookie = `${SESSION_COOKIE}=${opts.cookie}`;
    const ws = new WebSocket(url, ['binary'], {
      headers,
      ...(opts.ca ? { ca: opts.ca } : {}),
      perMessageDeflate: false,
      handshakeTimeout: opts.timeoutMs ?? 15_000,
    });
    return new Promise((resolve, reject) => {
      ws.once('upgrade', (res) => {
        ws.once('open', () => resolve(new RfbClient(ws, res.headers)));
      });
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          reject(new UpgradeRefused(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString()));
          ws.terminate();
        });
        res.on('error', () => reject(new UpgradeRefused(res.statusCode ?? 0, res.headers, '')));
      });
      ws.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Exactly `n` bytes, waiting for them; rejects on close or after `timeoutMs`. */
  async read(n: number, timeoutMs = 30_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.length < n) {
      if (this.closedWith)
        throw new Error(`stream closed (${this.closedWith.code}) while reading ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out reading ${n} bytes (have ${this.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const all = Buffer.concat(this.buffered);
    this.buffered = [all.subarray(n)];
    this.length -= n;
    return all.subarray(0, n);
  }

  send(bytes: Buffer): void {
    this.ws.send(bytes);
  }

  /** Version, security type None, ClientInit (shared) and ServerInit. */
  async handshake(): Promise<ServerInit & { banner: string; securityTypes: number[] }> {
    const banner = (await this.read(12)).toString('latin1');
    this.send(Buffer.from('RFB 003.008\n', 'latin1'));
    const count = (await this.read(1))[0] ?? 0;
    if (count === 0) throw new Error('the server offered no security types');
    const securityTypes = [...(await this.read(count))];
    this.send(Buffer.from([1]));
    const result = (await this.read(4)).readUInt32BE(0);
    if (result !== 0) throw new Error(`security result ${result}`);
    this.send(Buffer.from([1]));
    const init = await this.read(24);
    const nameLength = init.readUInt32BE(20);
    const name = (await this.read(nameLength)).toString('utf8');
    return { banner, securityTypes, width: init.readUInt16BE(0), height: init.readUInt16BE(2), name };
  }

  /** SetEncodings: raw only, so an update's size is predictable. */
  setRawEncoding(): void {
    const m = Buffer.alloc(8);
    m[0] = 2;
    m.writeUInt16BE(1, 2);
    m.writeInt32BE(0, 4);
    this.send(m);
  }

  requestUpdate(incremental: boolean, width: number, height: number, x = 0, y = 0): void {
    const m = Buffer.alloc(10);
    m[0] = 3;
    m[1] = incremental ? 1 : 0;
    m.writeUInt16BE(x, 2);
    m.writeUInt16BE(y, 4);
    m.writeUInt16BE(width, 6);
    m.writeUInt16BE(height, 8);
    this.send(m);
  }

  /**
   * Reads one server message expecting a FramebufferUpdate in raw encoding (32 bpp, the server's
   * default pixel format here) and returns its rectangles; pixel data is read and discarded.
   */
  async readRawUpdate(): Promise<Array<{ x: number; y: number; w: number; h: number }>> {
    for (;;) {
      const type = (await this.read(1))[0];
      if (type === 0) break;
      if (type === 2) continue; // Bell
      if (type === 3) {
        const cut = await this.read(7);
        await this.read(cut.readUInt32BE(3));
        continue;
      }
      throw new Error(`unexpected server message type ${type}`);
    }
    const header = await this.read(3);
    const count = header.readUInt16BE(1);
    const rects: Array<{ x: number; y: number; w: number; h: number }> = [];
    for (let i = 0; i < count; i++) {
      const r = await this.read(12);
      const rect = { x: r.readUInt16BE(0), y: r.readUInt16BE(2), w: r.readUInt16BE(4), h: r.readUInt16BE(6) };
      const encoding = r.readInt32BE(8);
      if (encoding === 0) await this.read(rect.w * rect.h * 4, 30_000);
      else if (encoding !== -223 && encoding !== -224)
        throw new Error(`unexpected encoding ${encoding} in a raw-only update`);
      rects.push(rect);
    }
    return rects;
  }

  keyEvent(down: boolean, keysym: number): void {
    const m = Buffer.alloc(8);
    m[0] = 4;
    m[1] = down ? 1 : 0;
    m.writeUInt32BE(keysym, 4);
    this.send(m);
  }

  pointerEvent(buttons: number, x: number, y: number): void {
    const m = Buffer.alloc(6);
    m[0] = 5;
    m[1] = buttons;
    m.writeUInt16BE(x, 2);
    m.writeUInt16BE(y, 4);
    this.send(m);
  }

  /** Everything received so far (up to 64 KiB), for secret scans. */
  received(): Buffer {
    return Buffer.concat(this.firstBytes);
  }

  /** Closes and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.closedWith) return;
    const done = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 3000);
    await done;
    clearTimeout(timer);
  }
}
