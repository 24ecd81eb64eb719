import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COALESCE_BURST_BYTES, coalesceWrites } from './coalesce.js';

/** A sink that records how the chunks reached it: one entry per write call, with its sizes. */
function recordingSink(delayMs = 0) {
  const calls: number[][] = [];
  const received: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      calls.push([chunk.length]);
      received.push(chunk);
      setTimeout(cb, delayMs);
    },
    writev(chunks, cb) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).length));
      for (const c of chunks) received.push(c.chunk as Buffer);
      setTimeout(cb, delayMs);
    },
  });
  return { sink, calls, received };
}

const record = (i: number) => Buffer.alloc(16 * 1024, i);

describe('coalesceWrites', () => {
  it('turns the records of one turn into one write, in order, with nothing lost', async () => {
    const source = new PassThrough();
    const { sink, calls, received } = recordingSink();
    source.pipe(sink);
    coalesceWrites(source, sink);
    // What a TLS socket does after one 64 KiB read: four records, one 'data' event each.
    for (let i = 0; i < 4; i++) source.write(record(i));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([[16384, 16384, 16384, 16384]]);
    expect(Buffer.concat(received)).toEqual(Buffer.concat([0, 1, 2, 3].map(record)));
  });

  it('without it the pipe writes each record on its own', async () => {
    const source = new PassThrough();
    const { sink, calls } = recordingSink();
    source.pipe(sink);
    for (let i = 0; i < 4; i++) source.write(record(i));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.length).toBeGreaterThan(1);
  });

  it('keeps backpressure: a slow sink holds the source back to about one burst', async () => {
    const source = new PassThrough({ highWaterMark: 16 * 1024 });
    const { sink, received } = recordingSink(5);
    source.pipe(sink);
    coalesceWrites(source, sink);
    let maxBuffered = 0;
    const total = 64;
    for (let i = 0; i < total; i++) {
      if (!source.write(record(i % 251))) await new Promise((r) => source.once('drain', r));
      maxBuffered = Math.max(maxBuffered, sink.writableLength);
    }
    source.end();
    await new Promise((r) => sink.once('finish', r));
    expect(Buffer.concat(received).length).toBe(total * 16 * 1024);
    expect(maxBuffered).toBeLessThanOrEqual(COALESCE_BURST_BYTES + 16 * 1024);
  });
});
