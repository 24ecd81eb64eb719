import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/** Limits a stream to `bytesPerSecond` by delaying chunks. */
class Throttle extends Transform {
  private readonly started = Date.now();
  private sent = 0;

  constructor(private readonly bytesPerSecond: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.sent += chunk.length;
    const due = this.started + (this.sent / this.bytesPerSecond) * 1000;
    setTimeout(() => done(null, chunk), Math.max(0, due - Date.now()));
  }
}

export interface ThrottleProxy {
  /** "127.0.0.1:<port>". */
  address: string;
  stop(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 that slows the downstream direction, so a pull from a local registry
 * lasts long enough for check-ins to see it in progress.
 */
export async function startThrottleProxy(target: string, bytesPerSecond: number): Promise<ThrottleProxy> {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon);
  const port = Number(target.slice(colon + 1));
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host, port });
    sockets.add(client);
    sockets.add(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    // The client going away leaves nothing to deliver; the upstream closing must not cut short
    // the throttled bytes still on their way (a registry closes right after its answer): pipe
    // ends the client once they are written.
    client.on('close', () => {
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    });
    client.pipe(upstream);
    upstream.pipe(new Throttle(bytesPerSecond)).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : 0;
  return {
    address: `127.0.0.1:${bound}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
