import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { closeFrame, FrameBoundary } from './ws-frames.js';

/** A server→client frame (unmasked) with `payload`, using the length encoding its size needs. */
function frame(payload: Buffer, opcode = 2): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, len])
      : len < 65536
        ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(len)]);
  return Buffer.concat([head, payload]);
}

function bigLength(len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(len));
  return b;
}

describe('closeFrame', () => {
  it('is a close frame a WebSocket client reads as that code and reason', async () => {
    // A bare upgrade, then the frame: what a piped proxy writes to the browser's socket.
    const server = createServer();
    server.on('upgrade', (req, socket) => {
      const accept = createHash('sha1')
        .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`,
      );
      socket.end(closeFrame(4001, 'removed by the owner'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const [code, reason] = await new Promise<[number, string]>((resolve) =>
        ws.on('close', (c: number, r: Buffer) => resolve([c, r.toString()])),
      );
      expect([code, reason]).toEqual([4001, 'removed by the owner']);
    } finally {
      server.close();
    }
  });

  it('cuts a long reason to fit a control frame', () => {
    const f = closeFrame(4001, 'é'.repeat(200));
    expect(f.length).toBeLessThanOrEqual(2 + 125);
    expect(f[1]).toBe(f.length - 2);
  });
});

describe('FrameBoundary', () => {
  const frames = [
    frame(Buffer.alloc(0)),
    frame(Buffer.alloc(5, 1)),
    frame(Buffer.alloc(125, 2)),
    frame(Buffer.alloc(126, 3)),
    frame(Buffer.alloc(70_000, 4)),
    frame(Buffer.alloc(3, 5), 9),
  ];
  const stream = Buffer.concat(frames);
  const ends = new Set<number>();
  let offset = 0;
  for (const f of frames) {
    offset += f.length;
    ends.add(offset);
  }

  it.each([1, 2, 3, 7, 13, 4096, stream.length])(
    'knows exactly where frames end, fed in chunks of %i bytes',
    (size) => {
      const fb = new FrameBoundary();
      expect(fb.atBoundary).toBe(true);
      // Compared once at the end: 70 000 expect() calls for 1-byte chunks took seconds on a loaded
      // machine, and the test's deadline is about the parser, not the assertion library.
      const wrong: number[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const end = Math.min(i + size, stream.length);
        fb.push(stream.subarray(i, end));
        if (fb.atBoundary !== ends.has(end)) wrong.push(end);
      }
      expect(wrong).toEqual([]);
    },
  );

  it.each([1, 5, 4096])(
    'pushToBoundary takes exactly the rest of the frame in flight (chunks of %i)',
    (size) => {
      const fb = new FrameBoundary();
      // 1000 bytes into the 70 000-byte frame (frames 0–3 come before it).
      const cutAt = frames.slice(0, 4).reduce((n, f) => n + f.length, 0) + 1000;
      const frameEnd = cutAt - 1000 + (frames[4]?.length ?? 0);
      fb.push(stream.subarray(0, cutAt));
      let taken = 0;
      const short: number[] = [];
      for (let i = cutAt; i < stream.length && !fb.atBoundary; i += size) {
        const chunk = stream.subarray(i, Math.min(i + size, stream.length));
        const n = fb.pushToBoundary(chunk);
        taken += n;
        if (!fb.atBoundary && n !== chunk.length) short.push(i);
      }
      expect(short).toEqual([]);
      // Stops where that frame ends: the rest of it, nothing of the next.
      expect(fb.atBoundary).toBe(true);
      expect(cutAt + taken).toBe(frameEnd);
      expect(fb.pushToBoundary(stream.subarray(cutAt + taken))).toBe(0);
    },
  );

  it('skips a mask key in a masked header', () => {
    const masked = Buffer.concat([Buffer.from([0x82, 0x80 | 2, 1, 2, 3, 4]), Buffer.from([9, 9])]);
    const fb = new FrameBoundary();
    fb.push(masked.subarray(0, 7));
    expect(fb.atBoundary).toBe(false);
    fb.push(masked.subarray(7));
    expect(fb.atBoundary).toBe(true);
  });
});
