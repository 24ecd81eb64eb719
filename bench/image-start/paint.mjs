// "First paint" for the image-start bench: a minimal RFB 3.8 viewer over the image's WSS endpoint
// that keeps a copy of the framebuffer (Raw encoding) and reports when the screen first shows what
// the image is for. For the firefox image that is the browser window: it is maximised and light,
// while the bare X root and JWM's background are dark, so "at least half of the screen is light"
// marks the browser's first paint without knowing anything about Firefox's layout.
import WebSocket from 'ws';

const ENC_RAW = 0;
const ENC_DESKTOP_SIZE = -223;

class Reader {
  buffer = Buffer.alloc(0);
  waiter = undefined;
  closed = false;
  constructor(ws) {
    ws.on('message', (data) => {
      this.buffer = this.buffer.length === 0 ? Buffer.from(data) : Buffer.concat([this.buffer, data]);
      this.waiter?.();
    });
    ws.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    ws.on('error', () => {});
  }
  async read(n) {
    while (this.buffer.length < n) {
      if (this.closed) throw new Error('RFB connection closed');
      await new Promise((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = undefined;
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }
}

/** Share of sampled pixels (every 8th in both directions) whose channels are all ≥ 0xd0. */
function lightShare(fb, width, height) {
  let light = 0;
  let total = 0;
  for (let y = 0; y < height; y += 8) {
    for (let x = 0; x < width; x += 8) {
      const o = (y * width + x) * 4;
      total += 1;
      if (fb[o] >= 0xd0 && fb[o + 1] >= 0xd0 && fb[o + 2] >= 0xd0) light += 1;
    }
  }
  return total === 0 ? 0 : light / total;
}

/**
 * Connects as a shared viewer and resolves with `{ firstUpdateAt, paintAt }` (performance.now()
 * values): the first framebuffer update, and the first moment `lightShare ≥ threshold`.
 */
export async function waitForPaint({ port, password, threshold = 0.5, timeoutMs = 60_000 }) {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/websockify`, ['binary'], {
    rejectUnauthorized: false,
    headers: { Authorization: `Basic ${Buffer.from(`kasm_user:${password}`).toString('base64')}` },
  });
  const reader = new Reader(ws);
  const timer = setTimeout(() => ws.terminate(), timeoutMs);
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const banner = (await reader.read(12)).toString('latin1');
    if (banner !== 'RFB 003.008\n') throw new Error(`unexpected banner ${JSON.stringify(banner)}`);
    ws.send(Buffer.from(banner, 'latin1'));
    const count = (await reader.read(1))[0];
    if (count === 0) throw new Error('refused by the VNC server');
    await reader.read(count);
    ws.send(Buffer.from([1])); // security None: websockify's basic auth is the gate
    if ((await reader.read(4)).readUInt32BE(0) !== 0) throw new Error('security handshake failed');
    ws.send(Buffer.from([1])); // shared
    const init = await reader.read(24);
    let width = init.readUInt16BE(0);
    let height = init.readUInt16BE(2);
    await reader.read(init.readUInt32BE(20));

    // 32 bpp true colour, little endian, red at bit 16: bytes are B, G, R, pad.
    const format = Buffer.alloc(20);
    format.writeUInt8(0, 0);
    format.set([32, 24, 0, 1], 4);
    format.writeUInt16BE(255, 8);
    format.writeUInt16BE(255, 10);
    format.writeUInt16BE(255, 12);
    format.set([16, 8, 0], 14);
    ws.send(format);
    const encodings = Buffer.alloc(12);
    encodings.writeUInt8(2, 0);
    encodings.writeUInt16BE(2, 2);
    encodings.writeInt32BE(ENC_RAW, 4);
    encodings.writeInt32BE(ENC_DESKTOP_SIZE, 8);
    ws.send(encodings);

    let fb = Buffer.alloc(width * height * 4);
    const request = (incremental) => {
      const msg = Buffer.alloc(10);
      msg.writeUInt8(3, 0);
      msg.writeUInt8(incremental ? 1 : 0, 1);
      msg.writeUInt16BE(width, 6);
      msg.writeUInt16BE(height, 8);
      ws.send(msg);
    };
    request(false);
    let firstUpdateAt;
    for (;;) {
      const type = (await reader.read(1))[0];
      if (type === 2) continue; // Bell
      if (type === 3) {
        await reader.read((await reader.read(7)).readUInt32BE(3));
        continue;
      }
      if (type !== 0) throw new Error(`unexpected RFB message ${type}`);
      const rects = (await reader.read(3)).readUInt16BE(1);
      for (let i = 0; i < rects; i++) {
        const h = await reader.read(12);
        const [x, y, w, hh, enc] = [
          h.readUInt16BE(0),
          h.readUInt16BE(2),
          h.readUInt16BE(4),
          h.readUInt16BE(6),
          h.readInt32BE(8),
        ];
        if (enc === ENC_DESKTOP_SIZE) {
          width = w;
          height = hh;
          fb = Buffer.alloc(width * height * 4);
          continue;
        }
        if (enc !== ENC_RAW) throw new Error(`unexpected encoding ${enc}`);
        const pixels = await reader.read(w * hh * 4);
        for (let row = 0; row < hh; row++)
          pixels.copy(fb, ((y + row) * width + x) * 4, row * w * 4, (row + 1) * w * 4);
      }
      firstUpdateAt ??= performance.now();
      if (lightShare(fb, width, height) >= threshold) return { firstUpdateAt, paintAt: performance.now() };
      request(true);
    }
  } finally {
    clearTimeout(timer);
    ws.terminate();
  }
}
