import type { Readable, Writable } from 'node:stream';

/**
 * A TLS socket hands over what it decrypted one 16 KiB record per 'data' event, and a pipe writes
 * each on its own: into another TLS socket that is one SSL_write, one write callback, one syscall
 * and one loopback packet per record.
 * This makes `to` gather the chunks `from` yields in one event-loop turn into one write (the pipe
 * itself is left alone, so its backpressure still holds).
 */
export function coalesceWrites(from: Readable, to: Writable, burstBytes = COALESCE_BURST_BYTES): void {
  // The pipe pauses `from` as soon as a write finds `to` over its high-water mark (16 KiB): with
  // the default, a corked turn would hold one chunk. Room for one socket read's worth of records.
  const state = (to as unknown as { _writableState?: { highWaterMark?: number } })._writableState;
  if (state && typeof state.highWaterMark === 'number' && state.highWaterMark < burstBytes)
    state.highWaterMark = burstBytes;
  // Prepended, so it runs before the pipe's own 'data' listener writes the chunk.
  from.prependListener('data', () => {
    if (to.writableCorked > 0 || to.destroyed) return;
    to.cork();
    process.nextTick(() => to.uncork());
  });
}

/** A socket read is at most 64 KiB: four TLS records. */
export const COALESCE_BURST_BYTES = 64 * 1024;
