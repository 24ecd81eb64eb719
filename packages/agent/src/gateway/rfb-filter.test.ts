import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRfbClientFilter, type RfbFilterOptions, type RfbRole } from './rfb-filter.js';

type Kind = 'control' | 'input' | 'clipboard' | 'resize' | 'power';
interface Msg {
  name: string;
  kind: Kind;
  bytes: Buffer;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const s32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const fill = (n: number, seed = 7) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const msg = (name: string, kind: Kind, ...parts: Array<Buffer | number[]>): Msg => ({
  name,
  kind,
  bytes: Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p)))),
});

/** Every client message type the filter frames, built from the protocol definitions. */
const M = {
  setPixelFormat: () => msg('SetPixelFormat', 'control', [0], fill(19)),
  setEncodings: (n: number) =>
    msg('SetEncodings', 'control', [2, 0], u16(n), ...Array.from({ length: n }, (_, i) => s32(-i * 7))),
  fbur: () => msg('FramebufferUpdateRequest', 'control', [3], fill(9)),
  key: () => msg('KeyEvent', 'input', [4, 1, 0, 0], u32(0xff0d)),
  pointer: () => msg('PointerEvent', 'input', [5, 1], u16(10), u16(20)),
  cutText: (n: number, extended = false) =>
    msg('ClientCutText', 'clipboard', [6, 0, 0, 0], s32(extended ? -n : n), fill(n, 3)),
  continuous: () => msg('EnableContinuousUpdates', 'control', [150, 1], u16(0), u16(0), u16(800), u16(600)),
  fence: (n: number) => msg('ClientFence', 'control', [248, 0, 0, 0], u32(0x80000001), [n], fill(n, 5)),
  xvp: () => msg('xvp', 'power', [250, 0, 1, 3]),
  setDesktopSize: (n: number) =>
    msg('SetDesktopSize', 'resize', [251, 0], u16(1024), u16(768), [n, 0], fill(16 * n, 9)),
  gii: (len: number, bigEndian: boolean) => {
    const length = Buffer.alloc(2);
    if (bigEndian) length.writeUInt16BE(len);
    else length.writeUInt16LE(len);
    return msg('gii', 'input', [253, bigEndian ? 0x80 : 0x00], length, fill(len, 11));
  },
  qemuKey: () => msg('QEMU key', 'input', [255, 0], u16(1), u32(0x61), u32(30)),
  qemuAudio: (operation: 0 | 1 | 2) =>
    operation === 2
      ? msg('QEMU audio format', 'control', [255, 1], u16(2), [3, 2], u32(44100))
      : msg('QEMU audio', 'control', [255, 1], u16(operation)),
};

const HANDSHAKE_IN = Buffer.from('RFB 003.008\n\x01\x00', 'latin1');
const HANDSHAKE_OUT = Buffer.from('RFB 003.008\n\x01\x01', 'latin1');

function allowedFor(kind: Kind, role: RfbRole, clipboard: boolean): boolean {
  if (kind === 'control') return true;
  if (kind === 'power') return role === 'owner';
  if (kind === 'clipboard') return role !== 'viewer' && clipboard;
  return role !== 'viewer';
}

function run(options: RfbFilterOptions, chunks: Buffer[]) {
  const filter = createRfbClientFilter(options);
  const out: Buffer[] = [];
  let close: string | undefined;
  for (const chunk of chunks) {
    const result = filter.push(chunk);
    out.push(...result.forward);
    close ??= result.close;
  }
  return { output: Buffer.concat(out), close, stats: filter.stats, filter };
}

function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(last, p));
    last = p;
  }
  chunks.push(bytes.subarray(last));
  return chunks;
}

const everyType = (): Msg[] => [
  M.setPixelFormat(),
  M.setEncodings(0),
  M.setEncodings(5),
  M.fbur(),
  M.key(),
  M.pointer(),
  M.cutText(0),
  M.cutText(13),
  M.cutText(21, true),
  M.continuous(),
  M.fence(0),
  M.fence(4),
  M.xvp(),
  M.setDesktopSize(0),
  M.setDesktopSize(2),
  M.gii(6, true),
  M.gii(5, false),
  M.qemuKey(),
  M.qemuAudio(0),
  M.qemuAudio(2),
];

describe('createRfbClientFilter', () => {
  it('frames every message type and passes them all for the owner', () => {
    const messages = everyType();
    const input = Buffer.concat([HANDSHAKE_IN, ...messages.map((m) => m.bytes)]);
    const { output, close, stats } = run({ role: 'owner', allowClipboardUp: true }, [input]);
    expect(close).toBeUndefined();
    expect(output.equals(Buffer.concat([HANDSHAKE_OUT, ...messages.map((m) => m.bytes)]))).toBe(true);
    expect(stats.messages).toBe(messages.length);
    expect(stats.droppedMessages).toBe(0);
    expect(stats.forwardedBytes).toBe(output.length);
  });

  it('frames each type correctly when split at every byte boundary, for every role', () => {
    const messages = everyType();
    const input = Buffer.concat([HANDSHAKE_IN, ...messages.map((m) => m.bytes)]);
    for (const role of ['owner', 'collaborator', 'viewer'] as const) {
      const expected = Buffer.concat([
        HANDSHAKE_OUT,
        ...messages.filter((m) => allowedFor(m.kind, role, true)).map((m) => m.bytes),
      ]);
      for (let cut = 0; cut <= input.length; cut++) {
        const { output, close } = run({ role, allowClipboardUp: true }, [
          input.subarray(0, cut),
          input.subarray(cut),
        ]);
        expect(close).toBeUndefined();
        expect(output.equals(expected), `${role} cut at ${cut}`).toBe(true);
      }
      const bytewise = run(
        { role, allowClipboardUp: true },
        Array.from(input, (b) => Buffer.from([b])),
      );
      expect(bytewise.output.equals(expected), `${role} byte by byte`).toBe(true);
    }
  });

  it('drops viewer input but keeps update requests, encodings and fences', () => {
    const messages = [M.setEncodings(3), M.fbur(), M.key(), M.pointer(), M.qemuKey(), M.gii(4, true)];
    const more = [M.cutText(5), M.setDesktopSize(1), M.xvp(), M.fence(2), M.continuous(), M.setPixelFormat()];
    const { output, stats } = run({ role: 'viewer', allowClipboardUp: true }, [
      Buffer.concat([HANDSHAKE_IN, ...[...messages, ...more].map((m) => m.bytes)]),
    ]);
    const kept = [M.setEncodings(3), M.fbur(), M.fence(2), M.continuous(), M.setPixelFormat()];
    expect(output.equals(Buffer.concat([HANDSHAKE_OUT, ...kept.map((m) => m.bytes)]))).toBe(true);
    expect(stats.droppedMessages).toBe(7);
    expect(stats.droppedInputMessages).toBe(4);
  });

  it('lets collaborators type, point and resize but not power-cycle', () => {
    const messages = [M.key(), M.pointer(), M.setDesktopSize(1), M.xvp(), M.cutText(3)];
    const { output, stats } = run({ role: 'collaborator', allowClipboardUp: true }, [
      Buffer.concat([HANDSHAKE_IN, ...messages.map((m) => m.bytes)]),
    ]);
    const kept = [M.key(), M.pointer(), M.setDesktopSize(1), M.cutText(3)];
    expect(output.equals(Buffer.concat([HANDSHAKE_OUT, ...kept.map((m) => m.bytes)]))).toBe(true);
    expect(stats.droppedMessages).toBe(1);
    expect(stats.droppedInputMessages).toBe(0);
  });

  it('drops the clipboard, extended form included, when upload is off even for the owner', () => {
    const messages = [M.cutText(9), M.key(), M.cutText(40, true)];
    const { output, stats } = run({ role: 'owner', allowClipboardUp: false }, [
      Buffer.concat([HANDSHAKE_IN, ...messages.map((m) => m.bytes)]),
    ]);
    expect(output.equals(Buffer.concat([HANDSHAKE_OUT, M.key().bytes]))).toBe(true);
    expect(stats.droppedMessages).toBe(2);
  });

  it('forces the ClientInit shared flag to 1', () => {
    for (const flag of [0, 1, 7]) {
      const { output } = run({ role: 'viewer', allowClipboardUp: false }, [
        Buffer.from(`RFB 003.008\n\x01${String.fromCharCode(flag)}`, 'latin1'),
      ]);
      expect(output.equals(HANDSHAKE_OUT)).toBe(true);
    }
  });

  it('passes a VNCAuth response through before ClientInit', () => {
    const response = fill(16, 42);
    const input = Buffer.concat([
      Buffer.from('RFB 003.007\n\x02', 'latin1'),
      response,
      Buffer.from([0]),
      M.fbur().bytes,
    ]);
    const { output, close } = run(
      { role: 'viewer', allowClipboardUp: false },
      splitAt(input, [5, 14, 20, 30]),
    );
    expect(close).toBeUndefined();
    expect(
      output.equals(
        Buffer.concat([
          Buffer.from('RFB 003.007\n\x02', 'latin1'),
          response,
          Buffer.from([1]),
          M.fbur().bytes,
        ]),
      ),
    ).toBe(true);
  });

  it('closes on an unknown message type after forwarding what came before', () => {
    const input = Buffer.concat([HANDSHAKE_IN, M.fbur().bytes, Buffer.from([7, 0, 0, 0]), M.fbur().bytes]);
    const { output, close, filter } = run({ role: 'owner', allowClipboardUp: true }, [input]);
    expect(close).toMatch(/unknown client message type 7/);
    expect(output.equals(Buffer.concat([HANDSHAKE_OUT, M.fbur().bytes]))).toBe(true);
    expect(filter.closed).toBe(close);
    expect(filter.push(M.fbur().bytes)).toEqual({ forward: [], close });
  });

  it('closes on what it cannot frame in the handshake or QEMU subtypes', () => {
    const closeOf = (bytes: Buffer) => run({ role: 'owner', allowClipboardUp: true }, [bytes]).close;
    expect(closeOf(Buffer.from('RFB 003.003\n', 'latin1'))).toMatch(/unsupported RFB version/);
    expect(closeOf(Buffer.from('GET / HTTP/1.1\r\n', 'latin1'))).toMatch(/unsupported RFB version/);
    expect(closeOf(Buffer.from('RFB 003.008\n\x10', 'latin1'))).toMatch(/unsupported security type 16/);
    expect(closeOf(Buffer.concat([HANDSHAKE_IN, Buffer.from([255, 9])]))).toMatch(/QEMU message subtype 9/);
    expect(closeOf(Buffer.concat([HANDSHAKE_IN, Buffer.from([255, 1, 0, 5])]))).toMatch(
      /QEMU audio operation 5/,
    );
  });

  it('caps ClientCutText without buffering it', () => {
    const header = Buffer.concat([Buffer.from([6, 0, 0, 0]), s32(-(10 * 1024 * 1024 + 1))]);
    const over = run({ role: 'owner', allowClipboardUp: true }, [Buffer.concat([HANDSHAKE_IN, header])]);
    expect(over.close).toMatch(/exceeds the 10485760-byte limit/);
    const small = run({ role: 'owner', allowClipboardUp: true, maxClipboardBytes: 4 }, [
      Buffer.concat([HANDSHAKE_IN, M.cutText(5).bytes]),
    ]);
    expect(small.close).toMatch(/exceeds the 4-byte limit/);
  });

  it('streams a large forwarded message through as slices of the input', () => {
    const big = M.cutText(1024 * 1024);
    const filter = createRfbClientFilter({ role: 'owner', allowClipboardUp: true });
    filter.push(HANDSHAKE_IN);
    const first = filter.push(big.bytes.subarray(0, 100));
    const second = filter.push(big.bytes.subarray(100));
    expect(Buffer.concat([...first.forward, ...second.forward]).equals(big.bytes)).toBe(true);
    // The body after the header is not copied: it is a view on the pushed chunk.
    expect(second.forward).toHaveLength(1);
    expect(second.forward[0]?.buffer).toBe(big.bytes.buffer);
  });

  it('coalesces consecutive forwarded messages of one chunk into one slice', () => {
    const filter = createRfbClientFilter({ role: 'owner', allowClipboardUp: true });
    filter.push(HANDSHAKE_IN);
    const result = filter.push(Buffer.concat([M.fbur().bytes, M.key().bytes, M.pointer().bytes]));
    expect(result.forward).toHaveLength(1);
  });
});

describe('createRfbClientFilter (property-based)', () => {
  const messageArb: fc.Arbitrary<Msg> = fc.oneof(
    fc.constant(null).map(() => M.setPixelFormat()),
    fc.integer({ min: 0, max: 40 }).map((n) => M.setEncodings(n)),
    fc.constant(null).map(() => M.fbur()),
    fc.constant(null).map(() => M.key()),
    fc.constant(null).map(() => M.pointer()),
    fc.tuple(fc.integer({ min: 0, max: 600 }), fc.boolean()).map(([n, ext]) => M.cutText(n, ext && n > 0)),
    fc.constant(null).map(() => M.continuous()),
    fc.integer({ min: 0, max: 64 }).map((n) => M.fence(n)),
    fc.constant(null).map(() => M.xvp()),
    fc.integer({ min: 0, max: 8 }).map((n) => M.setDesktopSize(n)),
    fc.tuple(fc.integer({ min: 0, max: 300 }), fc.boolean()).map(([n, be]) => M.gii(n, be)),
    fc.constant(null).map(() => M.qemuKey()),
    fc.constantFrom(0 as const, 1 as const, 2 as const).map((op) => M.qemuAudio(op)),
  );

  it('forwards exactly the allowed messages however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.constantFrom<RfbRole>('owner', 'collaborator', 'viewer'),
        fc.boolean(),
        (messages, cuts, role, clipboard) => {
          const input = Buffer.concat([HANDSHAKE_IN, ...messages.map((m) => m.bytes)]);
          const allowedMessages = messages.filter((m) => allowedFor(m.kind, role, clipboard));
          const expected = Buffer.concat([HANDSHAKE_OUT, ...allowedMessages.map((m) => m.bytes)]);
          const { output, close, stats } = run({ role, allowClipboardUp: clipboard }, splitAt(input, cuts));
          expect(close).toBeUndefined();
          expect(output.equals(expected)).toBe(true);
          expect(stats.messages).toBe(messages.length);
          expect(stats.droppedMessages).toBe(messages.length - allowedMessages.length);
          expect(stats.droppedInputMessages).toBe(
            messages.filter((m) => m.kind === 'input' && !allowedFor(m.kind, role, clipboard)).length,
          );
          expect(stats.forwardedBytes).toBe(expected.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
