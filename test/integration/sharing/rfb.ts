import WebSocket from 'ws';
import { pageOrigin, SESSION_COOKIE } from '../../support/http.js';
import type { Person } from './support.js';

/**
 * Just enough of an RFB client over the stream WebSocket to prove a session still streams: the
 * server's version banner, then (on demand) the handshake up to ServerInit.
 */
export class RfbProbe {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private closedCode: number | undefined;
  private closedAt = 0;
  private bytesPerPixel = 4;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, data]);
      this.waiter?.();
    });
    ws.on('close', (code) => {
      this.closedCode = code;
      this.closedAt = Date.now();
      this.waiter?.();
    });
    ws.on('error', () => undefined);
  }

  static open(baseUrl: string, sessionId: string, who: Person): Promise<RfbProbe> {
    const ws = new WebSocket(
      `${baseUrl.replace(/^http/, 'ws')}/session/${sessionId}/websockify`,
      ['binary'],
      {
        headers: { origin: pageOrigin(baseUrl), cookie: `${SESSION_COOKIE}=${who.cookie}` },
        perMessageDeflate: false,
        handshakeTimeout: 15_000,
      },
    );
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RfbProbe(ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`stream upgrade refused with ${res.statusCode}`));
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedCode !== undefined;
  }

  /** Resolves with the close code and when it came (ms since the epoch), or null after `timeoutMs`. */
  async whenClosed(timeoutMs: number): Promise<{ code: number; at: number } | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.closedCode === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    return this.closedCode === undefined ? null : { code: this.closedCode, at: this.closedAt };
  }

  async read(n: number, timeoutMs = 15_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length < n) {
      if (this.closedCode !== undefined) throw new Error(`stream closed (${this.closedCode})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out reading ${n} bytes`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** The 12-byte ProtocolVersion the server sends first. */
  async banner(): Promise<string> {
    return (await this.read(12)).toString('latin1');
  }

  /** After the banner: version, security None, shared ClientInit; returns the framebuffer size. */
  async handshake(): Promise<{ width: number; height: number }> {
    this.ws.send(Buffer.from('RFB 003.008\n', 'latin1'));
    const count = (await this.read(1))[0] ?? 0;
    const types = [...(await this.read(count))];
    if (!types.includes(1)) throw new Error(`no security type None in ${types.join(',')}`);
    this.ws.send(Buffer.from([1]));
    const result = (await this.read(4)).readUInt32BE(0);
    if (result !== 0) throw new Error(`security result ${result}`);
    this.ws.send(Buffer.from([1]));
    const init = await this.read(24);
    this.bytesPerPixel = (init[4] ?? 32) / 8;
    await this.read(init.readUInt32BE(20));
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
  }

  /** A full FramebufferUpdateRequest; resolves with the first byte of the answer (0 = update). */
  async requestUpdate(width: number, height: number): Promise<number> {
    const m = Buffer.alloc(10);
    m[0] = 3;
    m.writeUInt16BE(width, 6);
    m.writeUInt16BE(height, 8);
    this.ws.send(m);
    return (await this.read(1, 20_000))[0] ?? -1;
  }

  /**
   * A non-incremental FramebufferUpdateRequest for a small corner, read to its end (Raw, the
   * only encoding a client that sent no SetEncodings gets); resolves with its rectangle count.
   */
  async update(size = 32): Promise<number> {
    const m = Buffer.alloc(10);
    m[0] = 3;
    m.writeUInt16BE(size, 6);
    m.writeUInt16BE(size, 8);
    this.ws.send(m);
    const head = await this.read(4, 20_000);
    if (head[0] !== 0) throw new Error(`expected a FramebufferUpdate, got message type ${head[0]}`);
    const rects = head.readUInt16BE(2);
    for (let i = 0; i < rects; i++) {
      const rect = await this.read(12);
      if (rect.readInt32BE(8) !== 0) throw new Error(`unexpected encoding ${rect.readInt32BE(8)}`);
      await this.read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * this.bytesPerPixel);
    }
    return rects;
  }

  close(): void {
    this.ws.terminate();
  }
}
