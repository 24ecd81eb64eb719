// Just enough of an RFB 3.8 client (over the image's WSS endpoint) to read ServerInit and to ask
// for a desktop resize the way noVNC does (ExtendedDesktopSize + SetDesktopSize).
import WebSocket from 'ws';
import { basicAuth } from './workspace.js';

const ENC_RAW = 0;
const ENC_DESKTOP_SIZE = -223;
const ENC_EXTENDED_DESKTOP_SIZE = -308;

export interface Screen {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  flags: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
  encoding: number;
  screens?: Screen[];
}

export class RfbClient {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private closed = false;
  width = 0;
  height = 0;
  private bytesPerPixel = 4;
  name = '';

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.waiter?.();
    });
    ws.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    ws.on('error', () => {});
  }

  static async connect(port: number, password: string): Promise<RfbClient> {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/websockify`, {
      rejectUnauthorized: false,
      headers: { Authorization: basicAuth('kasm_user', password) },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const client = new RfbClient(ws);
    await client.handshake();
    return client;
  }

  close(): void {
    this.ws.terminate();
  }

  private async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length < n) {
      if (this.closed) throw new Error('RFB connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} RFB bytes`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  private send(bytes: Buffer): void {
    this.ws.send(bytes);
  }

  private async handshake(): Promise<void> {
    const banner = (await this.read(12)).toString('latin1');
    if (banner !== 'RFB 003.008\n') throw new Error(`unexpected banner ${JSON.stringify(banner)}`);
    this.send(Buffer.from('RFB 003.008\n', 'latin1'));
    const count = (await this.read(1)).readUInt8(0);
    if (count === 0) throw new Error('server refused the connection');
    const types = [...(await this.read(count))];
    // websockify is the only way in, so Xvnc offers no VNC authentication of its own.
    if (!types.includes(1)) throw new Error(`security type None not offered (got ${types.join(',')})`);
    this.send(Buffer.from([1]));
    const result = (await this.read(4)).readUInt32BE(0);
    if (result !== 0) throw new Error(`security handshake failed (${result})`);
    this.send(Buffer.from([1])); // ClientInit: shared
    const init = await this.read(24);
    this.width = init.readUInt16BE(0);
    this.height = init.readUInt16BE(2);
    this.bytesPerPixel = (init.readUInt8(4) || 32) / 8;
    this.name = (await this.read(init.readUInt32BE(20))).toString('utf8');
  }

  setEncodings(encodings: number[] = [ENC_RAW, ENC_DESKTOP_SIZE, ENC_EXTENDED_DESKTOP_SIZE]): void {
    const msg = Buffer.alloc(4 + 4 * encodings.length);
    msg.writeUInt8(2, 0);
    msg.writeUInt16BE(encodings.length, 2);
    encodings.forEach((e, i) => {
      msg.writeInt32BE(e, 4 + 4 * i);
    });
    this.send(msg);
  }

  /** A tiny region keeps raw pixel data small; pseudo-encodings ride along with any update. */
  requestUpdate(incremental: boolean, width = 1, height = 1): void {
    const msg = Buffer.alloc(10);
    msg.writeUInt8(3, 0);
    msg.writeUInt8(incremental ? 1 : 0, 1);
    msg.writeUInt16BE(width, 6);
    msg.writeUInt16BE(height, 8);
    this.send(msg);
  }

  setDesktopSize(width: number, height: number, screens: Screen[]): void {
    const msg = Buffer.alloc(8 + 16 * screens.length);
    msg.writeUInt8(251, 0);
    msg.writeUInt16BE(width, 2);
    msg.writeUInt16BE(height, 4);
    msg.writeUInt8(screens.length, 6);
    screens.forEach((s, i) => {
      const o = 8 + 16 * i;
      msg.writeUInt32BE(s.id, o);
      msg.writeUInt16BE(0, o + 4);
      msg.writeUInt16BE(0, o + 6);
      msg.writeUInt16BE(width, o + 8);
      msg.writeUInt16BE(height, o + 10);
      msg.writeUInt32BE(s.flags, o + 12);
    });
    this.send(msg);
  }

  /** Reads server messages until a FramebufferUpdate arrives; returns its rectangles. */
  async readUpdate(): Promise<Rect[]> {
    for (;;) {
      const type = (await this.read(1)).readUInt8(0);
      if (type === 2) continue; // Bell
      if (type === 3) {
        const header = await this.read(7);
        await this.read(header.readUInt32BE(3));
        continue;
      }
      if (type !== 0) throw new Error(`unexpected RFB server message ${type}`);
      const count = (await this.read(3)).readUInt16BE(1);
      const rects: Rect[] = [];
      for (let i = 0; i < count; i++) {
        const h = await this.read(12);
        const rect: Rect = {
          x: h.readUInt16BE(0),
          y: h.readUInt16BE(2),
          width: h.readUInt16BE(4),
          height: h.readUInt16BE(6),
          encoding: h.readInt32BE(8),
        };
        if (rect.encoding === ENC_RAW) {
          await this.read(rect.width * rect.height * this.bytesPerPixel);
        } else if (rect.encoding === ENC_EXTENDED_DESKTOP_SIZE) {
          const n = (await this.read(4)).readUInt8(0);
          const body = await this.read(16 * n);
          rect.screens = Array.from({ length: n }, (_, j) => ({
            id: body.readUInt32BE(16 * j),
            x: body.readUInt16BE(16 * j + 4),
            y: body.readUInt16BE(16 * j + 6),
            width: body.readUInt16BE(16 * j + 8),
            height: body.readUInt16BE(16 * j + 10),
            flags: body.readUInt32BE(16 * j + 12),
          }));
          this.width = rect.width;
          this.height = rect.height;
        } else if (rect.encoding === ENC_DESKTOP_SIZE) {
          this.width = rect.width;
          this.height = rect.height;
        } else {
          throw new Error(`unexpected encoding ${rect.encoding}`);
        }
        rects.push(rect);
      }
      return rects;
    }
  }

  /**
   * Reads updates until one carries an ExtendedDesktopSize rectangle that `match` accepts (one
   * update may hold several: server-side changes as well as the answer to a client request).
   */
  async readDesktopSize(match: (rect: Rect) => boolean = () => true, maxUpdates = 10): Promise<Rect> {
    for (let i = 0; i < maxUpdates; i++) {
      const rect = (await this.readUpdate()).find(
        (r) => r.encoding === ENC_EXTENDED_DESKTOP_SIZE && match(r),
      );
      if (rect) return rect;
      this.requestUpdate(true);
    }
    throw new Error('no ExtendedDesktopSize rectangle from the server');
  }
}
