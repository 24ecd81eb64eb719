import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { freePort } from '../testkit/local-registry.js';
import { RfbNotReadyError, waitForRfb } from './readiness.js';

const PASSWORD = 'pw:with-colon';
const EXPECTED_AUTH = `Basic ${Buffer.from(`kasm_user:${PASSWORD}`).toString('base64')}`;

let tls: { key: string; cert: string };

interface FakeWebsockify {
  port: number;
  connections: number;
  protocols: string[];
  close(): Promise<void>;
}

/** How TigerVNC turns a blacklisted address away: an RFB 3.3 banner, security type 0, the reason. */
function refusal(reason: string): Buffer {
  const text = Buffer.from(reason, 'latin1');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0, 0);
  head.writeUInt32BE(text.length, 4);
  return Buffer.concat([Buffer.from('RFB 003.003\n', 'latin1'), head, text]);
}

/**
 * Stands in for a workspace's websockify: TLS, basic auth, subprotocol "binary". The first
 * `dropFirst` connections close before the banner, like websockify whose VNC server is not up yet;
 * the next `refuseFirst` get a VNC server's refusal (Kasm-compatible images that keep TigerVNC's
 * blacklist; Porthole's own turn it off).
 */
async function startWebsockify(
  options: {
    port?: number;
    dropFirst?: number;
    refuseFirst?: number;
    banner?: string | null;
    /** Connections after this many get no banner at all (they hang until the client gives up). */
    silentAfter?: number;
  } = {},
): Promise<FakeWebsockify> {
  const server: Server = createServer({ key: tls.key, cert: tls.cert });
  const wss = new WebSocketServer({
    server,
    path: '/websockify',
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    verifyClient: ({ req }, done) => done(req.headers.authorization === EXPECTED_AUTH, 401, 'Unauthorized'),
  });
  const state: FakeWebsockify = {
    port: 0,
    connections: 0,
    protocols: [],
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  wss.on('connection', (socket) => {
    state.connections += 1;
    state.protocols.push(socket.protocol);
    if (state.connections <= (options.dropFirst ?? 0)) {
      socket.close(1011, 'target refused');
      return;
    }
    if (state.connections <= (options.dropFirst ?? 0) + (options.refuseFirst ?? 0)) {
      socket.send(refusal('Too many security failures'));
      return;
    }
    const banner = options.banner === undefined ? 'RFB 003.008\n' : options.banner;
    if (banner === null || state.connections > (options.silentAfter ?? Number.POSITIVE_INFINITY)) return;
    // Split across two frames: the client must accumulate.
    socket.send(Buffer.from(banner.slice(0, 5)));
    setTimeout(() => socket.send(Buffer.from(banner.slice(5))), 10);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

const running: FakeWebsockify[] = [];
const start = async (options: Parameters<typeof startWebsockify>[0] = {}) => {
  const server = await startWebsockify(options);
  running.push(server);
  return server;
};

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
  });
  tls = { key: pems.private, cert: pems.cert };
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.close()));
});

describe('waitForRfb', () => {
  it('resolves on the banner, using basic auth and the binary subprotocol', async () => {
    const server = await start();
    const ready = await waitForRfb({ port: server.port, password: PASSWORD, timeoutMs: 5_000 });
    expect(ready.version).toBe('003.008');
    expect(ready.attempts).toBe(1);
    expect(ready.elapsedMs).toBeLessThan(2_000);
    expect(server.protocols).toEqual(['binary']);
  });

  it('accepts any RFB 003.00x banner', async () => {
    const server = await start({ banner: 'RFB 003.007\n' });
    expect((await waitForRfb({ port: server.port, password: PASSWORD, timeoutMs: 5_000 })).version).toBe(
      '003.007',
    );
  });

  it('retries while nothing listens yet, then succeeds without a fixed sleep', async () => {
    const port = await freePort();
    const later = new Promise<void>((resolve) =>
      setTimeout(() => {
        void start({ port }).then(() => resolve());
      }, 300),
    );
    const ready = await waitForRfb({ port, password: PASSWORD, timeoutMs: 5_000 });
    await later;
    expect(ready.attempts).toBeGreaterThan(1);
    expect(ready.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(ready.elapsedMs).toBeLessThan(1_500);
  });

  it('retries when the connection closes before the banner', async () => {
    const server = await start({ dropFirst: 3 });
    const ready = await waitForRfb({ port: server.port, password: PASSWORD, timeoutMs: 5_000 });
    expect(ready.attempts).toBe(4);
    expect(server.connections).toBe(4);
  });

  it('does not take a VNC server\'s refusal (RFB 3.3, "Too many security failures") for readiness', async () => {
    const server = await start({ refuseFirst: 2 });
    const ready = await waitForRfb({ port: server.port, password: PASSWORD, timeoutMs: 5_000 });
    expect(ready.version).toBe('003.008');
    expect(ready.attempts).toBe(3);

    const refusing = await start({ refuseFirst: 1_000 });
    const error = await waitForRfb({ port: refusing.port, password: PASSWORD, timeoutMs: 400 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(RfbNotReadyError);
    expect(error.message).toMatch(/refused the connection: Too many security failures/);
  });

  it('fails fast on wrong credentials', async () => {
    const server = await start();
    const startedAt = Date.now();
    const error = await waitForRfb({ port: server.port, password: 'wrong', timeoutMs: 10_000 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(RfbNotReadyError);
    expect(error.permanent).toBe(true);
    expect(error.message).toMatch(/rejected the session credentials \(401\)/);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('times out with the last error', async () => {
    const port = await freePort();
    const error = await waitForRfb({ port, password: PASSWORD, timeoutMs: 400 }).catch((e) => e);
    expect(error).toBeInstanceOf(RfbNotReadyError);
    expect(error.message).toMatch(/not ready after 400 ms: .*ECONNREFUSED/);
    expect(error.attempts).toBeGreaterThan(1);
    expect(error.elapsedMs).toBeGreaterThanOrEqual(400);
    expect(error.elapsedMs).toBeLessThan(1_500);
  });

  it('times out when the server never sends the banner', async () => {
    const server = await start({ banner: null });
    const error = await waitForRfb({ port: server.port, password: PASSWORD, timeoutMs: 400 }).catch((e) => e);
    expect(error.message).toMatch(/no RFB banner within/);
  });

  it('keeps trying past a non-RFB banner until the deadline', async () => {
    const server = await start({ banner: 'HTTP/1.1 200\n' });
    // Long enough for several attempts on a loaded machine; the attempt the deadline cuts short
    // must not hide the banner the earlier ones saw.
    const error = await waitForRfb({ port: server.port, password: PASSWORD, timeoutMs: 1_500 }).catch(
      (e) => e,
    );
    expect(error.message).toMatch(/unexpected banner/);
    expect(server.connections).toBeGreaterThan(1);
  });

  it('reports the failure it saw, not the attempt the deadline cut short', async () => {
    // The first connection shows a wrong banner; every later one hangs until the deadline ends it.
    const server = await start({ banner: 'HTTP/1.1 200\n', silentAfter: 1 });
    const error = await waitForRfb({ port: server.port, password: PASSWORD, timeoutMs: 600 }).catch((e) => e);
    expect(error).toBeInstanceOf(RfbNotReadyError);
    expect(error.message).toMatch(/not ready after 600 ms: unexpected banner/);
    expect(server.connections).toBeGreaterThan(1);
  });

  it('stops when aborted', async () => {
    const port = await freePort();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const startedAt = Date.now();
    const error = await waitForRfb({
      port,
      password: PASSWORD,
      timeoutMs: 10_000,
      signal: controller.signal,
    }).catch((e) => e);
    expect(error.message).toMatch(/aborted/);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });
});
