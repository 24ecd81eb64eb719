import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  createConnection,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GrantPayload } from '@porthole/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  closeCode,
  closed,
  nextMessage,
  openWebSocket,
  until,
} from '../../../stream/src/testkit/ws-client.js';
import { type GatewayDeps, SessionGateway } from './session-gateway.js';

/**
 * The gateway against a fake workspace (HTTPS + WSS with basic auth, as the image contract says)
 * on loopback: what reaches the container, what the browser gets back, and how streams end.
 */
const SID = '11111111-2222-4333-8444-555555555555';
const PASSWORD = 'vnc-password-for-tests';
const quiet = { info: () => undefined, warn: () => undefined };

function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-gw-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fake workspace: echoes WebSocket messages and records what it was sent. */
interface Workspace {
  port: number;
  requests: IncomingHttpHeaders[];
  received: Buffer[];
  sockets: WebSocket[];
  server: Server;
}

async function listen(server: Server | NetServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

let workspace: Workspace;
let silent: { port: number; server: NetServer; sockets: Socket[] };
let tls: { key: string; cert: string };

beforeAll(async () => {
  tls = selfSigned();
  const expected = `Basic ${Buffer.from(`kasm_user:${PASSWORD}`).toString('base64')}`;
  const requests: IncomingHttpHeaders[] = [];
  const received: Buffer[] = [];
  const sockets: WebSocket[] = [];
  const server = createHttpsServer(tls, (req, res) => {
    requests.push(req.headers);
    res.writeHead(200, { 'www-authenticate': 'Basic realm="x"', 'set-cookie': 'a=b', 'x-kept': 'yes' });
    res.end('<html>client</html>');
  });
  const wss = new WebSocketServer({
    server,
    verifyClient: (info: { req: { headers: IncomingHttpHeaders } }) => {
      requests.push(info.req.headers);
      return info.req.headers.authorization === expected;
    },
  });
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data: Buffer) => {
      received.push(Buffer.from(data));
      ws.send(data);
    });
  });
  workspace = { port: await listen(server), requests, received, sockets, server };
  const held: Socket[] = [];
  const silentServer = createNetServer((s) => held.push(s));
  silent = { port: await listen(silentServer), server: silentServer, sockets: held };
});
afterAll(() => {
  workspace.server.close();
  for (const s of silent.sockets) s.destroy();
  silent.server.close();
});

let gateways: Array<{ gw: SessionGateway; server: Server }> = [];
afterEach(() => {
  for (const { gw, server } of gateways) {
    gw.close();
    server.close();
  }
  gateways = [];
  workspace.requests.length = 0;
  workspace.received.length = 0;
});

/** A gateway in front of the fake workspace (or `port`), trusting any grant `role` or `role:user`. */
async function gateway(opts: Partial<GatewayDeps> & { port?: number } = {}) {
  const activity: string[] = [];
  const gw = new SessionGateway({
    verifier: () => ({
      check: (token, expect) => {
        const [role, sub] = (token ?? '').split(':');
        return role === 'owner' || role === 'viewer' || role === 'collaborator'
          ? {
              ok: true,
              grant: { aud: 'a', sid: expect.sessionId, act: 'stream', role, sub, exp: 0 } as GrantPayload,
            }
          : { ok: false, reason: 'bad grant' };
      },
    }),
    targets: {
      target: (id) => (id === SID ? { hostPort: opts.port ?? workspace.port, vncPassword: PASSWORD } : null),
    },
    onActivity: (id) => activity.push(id),
    log: quiet,
    ...opts,
  });
  const server = createHttpServer((req, res) => gw.handleRequest(req, res));
  server.on('upgrade', (req, socket, head) => gw.handleUpgrade(req, socket, head));
  const port = await listen(server);
  gateways.push({ gw, server });
  return { gw, port, activity };
}

function connect(port: number, grant: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return openWebSocket(`ws://127.0.0.1:${port}/session/${SID}/websockify`, {
    'x-porthole-grant': grant,
    cookie: 'porthole_session=secret',
    ...headers,
  });
}

describe('SessionGateway', () => {
  it("relays an owner's stream with the container's credentials and none of the browser's", async () => {
    const { gw, port, activity } = await gateway();
    const ws = await connect(port, 'owner', { authorization: 'Bearer browser-token' });
    ws.send(Buffer.from('hello'));
    expect((await nextMessage(ws)).toString()).toBe('hello');
    const headers = workspace.requests.at(-1) ?? {};
    expect(headers.authorization).toBe(`Basic ${Buffer.from(`kasm_user:${PASSWORD}`).toString('base64')}`);
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-porthole-grant']).toBeUndefined();
    expect(gw.stats().activeStreams).toBe(1);
    await until(() => activity.length > 0, 3000);
    expect(activity[0]).toBe(SID);
    ws.close();
    // The browser left: the container's side closes too.
    await until(() => workspace.sockets.every((s) => s.readyState === WebSocket.CLOSED));
    await until(() => gw.stats().activeStreams === 0);
  });

  it('reports the activity of a stream shorter than one sample', async () => {
    const { port, activity } = await gateway();
    const ws = await connect(port, 'owner');
    ws.send(Buffer.from('quick'));
    await nextMessage(ws);
    ws.close();
    await until(() => activity.length === 1, 900);
  });

  it('closes the browser side when the container ends the stream', async () => {
    const { gw, port } = await gateway();
    const ws = await connect(port, 'owner');
    ws.send(Buffer.from('x'));
    await nextMessage(ws);
    workspace.sockets.at(-1)?.terminate();
    await closed(ws);
    await until(() => gw.stats().activeStreams === 0);
  });

  it('refuses missing and bad grants with 401 and unknown sessions with 404', async () => {
    const { gw, port } = await gateway();
    await expect(connect(port, 'forged')).rejects.toThrow('status 401');
    const other = new WebSocket(`ws://127.0.0.1:${port}/session/${SID.replace('1', '9')}/websockify`, {
      headers: { 'x-porthole-grant': 'owner' },
    });
    await expect(
      new Promise((_, reject) =>
        other.once('unexpected-response', (_r, res) => reject(new Error(`status ${res.statusCode}`))),
      ),
    ).rejects.toThrow('status 404');
    expect(gw.stats()).toMatchObject({ refused: 2, activeStreams: 0 });
  });

  it('answers 504 when the container accepts but never answers the upgrade', async () => {
    const { gw, port } = await gateway({ port: silent.port, limits: { handshakeTimeoutMs: 300 } });
    const started = Date.now();
    await expect(connect(port, 'owner')).rejects.toThrow('status 504');
    expect(Date.now() - started).toBeLessThan(3000);
    await until(() => gw.stats().activeStreams === 0);
  });

  it('answers 502 when nothing listens on the container port', async () => {
    const probe = createNetServer();
    const dead = await listen(probe);
    probe.close();
    const { port } = await gateway({ port: dead });
    await expect(connect(port, 'owner')).rejects.toThrow('status 502');
  });

  it('closes a stream idle for longer than the idle limit', async () => {
    const { gw, port } = await gateway({ limits: { idleTimeoutMs: 1200 } });
    const ws = await connect(port, 'owner');
    const started = Date.now();
    await closed(ws);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await until(() => gw.stats().activeStreams === 0);
  });

  it("drops a viewer's input and forces the shared flag", async () => {
    const { gw, port } = await gateway();
    const ws = await connect(port, 'viewer');
    const key = Buffer.from([4, 1, 0, 0, 0, 0, 0xff, 0xe1]);
    const update = Buffer.from([3, 0, 0, 0, 0, 0, 0, 16, 0, 16]);
    ws.send(Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1]), Buffer.from([0]), key, update]));
    await until(() => Buffer.concat(workspace.received).length >= 24);
    expect(Buffer.concat(workspace.received)).toEqual(
      Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1]), Buffer.from([1]), update]),
    );
    expect(gw.stats()).toMatchObject({ viewerStreams: 1, droppedInputMessages: 1, activeStreams: 1 });
    ws.close();
    await until(() => gw.stats().activeStreams === 0);
    expect(gw.stats().droppedInputMessages).toBe(1);
  });

  it('serves HTTP without the workspace prompting for credentials or setting cookies', async () => {
    const { port } = await gateway();
    const res = await new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: `/session/${SID}/`, headers: { 'x-porthole-grant': 'owner' } },
        (r) => {
          r.resume();
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['x-kept']).toBe('yes');
  });

  it('closes every stream when it closes', async () => {
    const { gw, port } = await gateway();
    const owner = await connect(port, 'owner');
    const viewer = await connect(port, 'viewer');
    await until(() => gw.stats().activeStreams === 2);
    gw.close();
    await Promise.all([closed(owner), closed(viewer)]);
    expect(gw.stats().activeStreams).toBe(0);
  });

  it('disconnect closes the named streams with 4001 and leaves the owner streaming', async () => {
    const { gw, port } = await gateway();
    const owner = await connect(port, 'owner:alice');
    const carol = await connect(port, 'collaborator:carol');
    const bob = await connect(port, 'viewer:bob');
    // Frames flowed on the collaborator's pipe, so the cut must find the boundary between them.
    for (let i = 0; i < 20; i++) {
      carol.send(Buffer.alloc(i * 1000 + 1, i));
      await nextMessage(carol);
    }
    expect(gw.openStreams(SID)).toBe(3);
    const carolClose = closeCode(carol);
    expect(gw.disconnect(SID, { userId: 'carol' })).toBe(1);
    expect(await carolClose).toBe(4001);

    const bobClose = closeCode(bob);
    expect(gw.disconnect(SID, { allExceptOwner: true })).toBe(1);
    expect(await bobClose).toBe(4001);
    expect(gw.disconnect(SID, { allExceptOwner: true })).toBe(0);
    expect(gw.disconnect('00000000-0000-4000-8000-000000000000', { userId: 'bob' })).toBe(0);

    owner.send(Buffer.from('still here'));
    expect((await nextMessage(owner)).toString()).toBe('still here');
    expect(gw.openStreams(SID)).toBe(1);
    owner.close();
  });

  it('a role change closes that user’s streams with 4003 (reconnect), viewer relay and pipe alike', async () => {
    const { gw, port } = await gateway();
    const owner = await connect(port, 'owner:alice');
    const carolPipe = await connect(port, 'collaborator:carol');
    const carolRelay = await connect(port, 'viewer:carol');
    await until(() => gw.openStreams(SID) === 3);
    const codes = Promise.all([closeCode(carolPipe), closeCode(carolRelay)]);
    expect(gw.disconnect(SID, { userId: 'carol', reconnect: 'role_changed' })).toBe(2);
    expect(await codes).toEqual([4003, 4003]);
    owner.send(Buffer.from('still here'));
    expect((await nextMessage(owner)).toString()).toBe('still here');
    owner.close();
  });
});

describe('SessionGateway disconnect mid-frame', () => {
  it("finishes the collaborator's frame in flight, then closes with 4001", async () => {
    const { gw, port } = await gateway();
    // A raw client, to see where the gateway's bytes stop: one 16 MiB frame out (masked with a
    // zero key), its echo back, cut once the first MiB of the echo is in.
    const size = 16 * 1024 * 1024;
    const sock = createConnection(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      `GET /session/${SID}/websockify HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Protocol: binary\r\nx-porthole-grant: collaborator:carol\r\n\r\n`,
    );
    const head = Buffer.alloc(14);
    head[0] = 0x82;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(size), 2);
    sock.write(Buffer.concat([head, Buffer.alloc(size, 7)]));
    const chunks: Buffer[] = [];
    let length = 0;
    let body = -1;
    let cut = false;
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      length += c.length;
      if (body < 0) body = Buffer.concat(chunks).indexOf('\r\n\r\n') + 4 || -1;
      if (!cut && body > 0 && length - body > 1024 * 1024) {
        cut = true;
        expect(gw.disconnect(SID, { userId: 'carol' })).toBe(1);
      }
    });
    await new Promise((r) => sock.once('close', r));
    const frames = Buffer.concat(chunks).subarray(body);
    expect(cut).toBe(true);
    // The whole echo (10-byte header + payload), then a close frame with 4001, and nothing else.
    expect(frames.readBigUInt64BE(2)).toBe(BigInt(size));
    const close = frames.subarray(10 + size);
    expect(close[0]).toBe(0x88);
    expect(close.readUInt16BE(2)).toBe(4001);
    expect(close.length).toBe(2 + (close[1] ?? 0));
  }, 30_000);
});
