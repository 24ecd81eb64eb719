import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { StreamGuard } from './stream-guard.js';

/** A connected pair: `inner` is the server side (the browser-side socket a proxy would track). */
async function pair(): Promise<{ inner: Socket; outer: Socket; close(): void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const outer = connect(address.port, '127.0.0.1');
  const [inner] = await accepted;
  return { inner, outer, close: () => server.close() };
}

describe('StreamGuard metering', () => {
  it('counts bytes both ways from tracking on, for open streams and after they close', async () => {
    const guard = new StreamGuard();
    const { inner, outer, close } = await pair();
    // Before tracking: the upgrade request, which is no relayed stream.
    outer.write('x'.repeat(100));
    await once(inner, 'data');
    guard.track(inner);
    expect(guard.meter()).toEqual({ open: 1, bytes: 0 });

    inner.write('y'.repeat(300));
    await once(outer, 'data');
    outer.write('z'.repeat(50));
    await once(inner, 'data');
    expect(guard.meter()).toEqual({ open: 1, bytes: 350 });

    const closed = once(inner, 'close');
    outer.destroy();
    inner.destroy();
    await closed;
    expect(guard.meter()).toEqual({ open: 0, bytes: 350 });
    guard.closeAll();
    close();
  });
});
