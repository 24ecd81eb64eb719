/**
 * Just enough of RFC 6455 to end a piped WebSocket cleanly from the middle: the proxies relay
 * upgraded streams as raw bytes, so to send the browser a close code they must know where a
 * frame ends and write the close frame themselves (server→client frames are unmasked).
 */

const MAX_REASON_BYTES = 123; // a control frame's payload is at most 125 bytes, 2 of them the code

/** A server→client close frame with `code` and `reason` (cut to fit a control frame). */
export function closeFrame(code: number, reason: string): Buffer {
  let text = Buffer.from(reason, 'utf8');
  if (text.length > MAX_REASON_BYTES) text = Buffer.from(reason.slice(0, MAX_REASON_BYTES / 3), 'utf8');
  const frame = Buffer.alloc(4 + text.length);
  frame[0] = 0x88; // FIN + opcode 8 (close)
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}

/**
 * Follows a stream of WebSocket frames only to know whether it stands between two frames. Reads
 * frame headers and skips payloads, so its work is per frame, not per byte.
 */
export class FrameBoundary {
  private readonly header = Buffer.alloc(14);
  private headerBytes = 0;
  private remaining = 0;

  /** True between frames: a frame written now would not land inside another. */
  get atBoundary(): boolean {
    return this.headerBytes === 0 && this.remaining === 0;
  }

  push(chunk: Buffer): void {
    this.consume(chunk, false);
  }

  /**
   * Takes bytes of `chunk` only up to the end of the frame in flight; returns how many it took
   * (all of them when the frame goes on past this chunk). To finish a frame and stop there.
   */
  pushToBoundary(chunk: Buffer): number {
    return this.consume(chunk, true);
  }

  private consume(chunk: Buffer, stopAtBoundary: boolean): number {
    let i = 0;
    while (i < chunk.length) {
      if (stopAtBoundary && this.atBoundary) return i;
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      this.header[this.headerBytes++] = chunk[i++] ?? 0;
      const need = this.headerLength();
      if (need === null || this.headerBytes < need) continue;
      this.remaining = this.payloadLength();
      this.headerBytes = 0;
    }
    return i;
  }

  /** The whole header's length once its first two bytes are known. */
  private headerLength(): number | null {
    if (this.headerBytes < 2) return null;
    const second = this.header[1] ?? 0;
    const len7 = second & 0x7f;
    const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    return 2 + extended + (second & 0x80 ? 4 : 0);
  }

  private payloadLength(): number {
    const len7 = (this.header[1] ?? 0) & 0x7f;
    if (len7 === 126) return this.header.readUInt16BE(2);
    // 2^53 bytes is beyond any stream; Number is exact up to there.
    if (len7 === 127) return Number(this.header.readBigUInt64BE(2));
    return len7;
  }
}
