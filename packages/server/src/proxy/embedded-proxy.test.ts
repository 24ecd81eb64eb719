import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import cookie from '@fastify/cookie';
import type { GrantPayload } from '@porthole/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { closed, nextMessage, openWebSocket, until } from '../../../stream/src/testkit/ws-client.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import { installErrorHandler } from '../http/error-handler.js';
import { AllowedOrigins } from '../http/origin.js';
import { UpgradeRouter } from '../http/upgrade-router.js';
import type { StreamAuthorization } from '../streams/stream-auth-service.js';
import { EmbeddedProxy, type EmbeddedProxyDeps } from './embedded-proxy.js';

/**
 * The embedded proxy against a fake agent on loopback: what the agent is sent, timeouts, how
 * streams end, keep-alive, and the one-hop hand-off to an in-process gateway.
 */
const SID = '11111111-2222-4333-8444-555555555555';
const owner: Caller = { userId: 'owner', username: 'owner', isAdmin: false };

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

interface FakeAgent {
  url: string;
  upgrades: IncomingHttpHeaders[];
  requests: IncomingHttpHeaders[];
  connections: number;
  sockets: WebSocket[];
  server: Server;
}

let agent: FakeAgent;
let silent: { url: string; held: Socket[]; close(): void };

beforeAll(async () => {
  const server = createServer((req, res) => {
    agent.requests.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'x=y' });
    res.end('agent says hi');
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    agent.upgrades.push(req.headers);
    agent.sockets.push(ws);
    ws.on('message', (d: Buffer) => ws.send(d));
  });
  server.on('connection', () => {
    agent.connections += 1;
  });
  const port = await listen(server);
  agent = {
    url: `http://127.0.0.1:${port}`,
    upgrades: [],
    requests: [],
    connections: 0,
    sockets: [],
    server,
  };
  const held: Socket[] = [];
  const net = createNetServer((s) => held.push(s));
  const silentPort = await listen(net);
  silent = {
    url: `http://127.0.0.1:${silentPort}`,
    held,
    close: () => {
      for (const s of held) s.destroy();
      net.close();
    },
  };
});
afterAll(() => {
  agent.server.close();
  silent.close();
});

let apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps) await app.close();
  apps = [];
  agent.upgrades.length = 0;
  agent.requests.length = 0;
});

/** A server with only the proxy: the cookie `porthole_session=owner` signs in as the owner. */
async function proxyApp(opts: Partial<EmbeddedProxyDeps> & { agentUrl?: string } = {}) {
  const app = Fastify();
  await app.register(cookie);
  installErrorHandler(app);
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request) => {
    request.caller = request.cookies.porthole_session === 'owner' ? owner : null;
  });
  const origins = new AllowedOrigins();
  const upgrades = new UpgradeRouter({ origins, log: { warn: () => undefined } });
  const proxy = new EmbeddedProxy({
    auth: { resolveSession: async (token) => (token === 'owner' ? owner : null) },
    streams: {
      authorize: async (caller, sessionId): Promise<StreamAuthorization> => {
        if (!caller) throw new UnauthorizedError('sign in first');
        if (sessionId !== SID) throw new NotFoundError('no such session');
        return {
          sessionId,
          agentId: 'agent-1',
          agentUrl: opts.agentUrl ?? agent.url,
          role: 'owner',
          grant: 'signed-grant',
          grantPayload: {
            aud: 'agent-1',
            sid: SID,
            act: 'stream',
            role: 'owner',
            sub: 'u-owner',
            iatMs: 0,
            exp: 0,
          },
        };
      },
    },
    log: { warn: () => undefined },
    ...opts,
  });
  proxy.register(app);
  upgrades.add((path) => path.startsWith('/session/'), proxy.handleUpgrade);
  upgrades.attach(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  apps.push(app);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  origins.add([`http://127.0.0.1:${port}`]);
  return { app, proxy, port };
}

/** Opens the stream as a page of the server's own origin would (unless `headers` says otherwise). */
function connect(port: number, headers: Record<string, string> = {}, path = `/session/${SID}/websockify`) {
  return openWebSocket(`ws://127.0.0.1:${port}${path}`, { origin: `http://127.0.0.1:${port}`, ...headers });
}

const signedIn = { cookie: 'porthole_session=owner' };

describe('EmbeddedProxy', () => {
  it('sends the agent the grant and X-Forwarded-* of its own, never the browser’s credentials', async () => {
    const { proxy, port } = await proxyApp();
    const ws = await connect(port, {
      ...signedIn,
      authorization: 'Bearer k:s',
      'x-porthole-grant': 'browser-made',
      'x-forwarded-for': '203.0.113.9',
    });
    ws.send(Buffer.from('ping'));
    expect((await nextMessage(ws)).toString()).toBe('ping');
    const headers = agent.upgrades[0] ?? {};
    expect(headers['x-porthole-grant']).toBe('signed-grant');
    expect(headers.cookie).toBeUndefined();
    expect(headers.authorization).toBeUndefined();
    // The peer is not a trusted proxy: its X-Forwarded-For is replaced, not extended.
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('ws');
    expect(proxy.activeStreams).toBe(1);
    ws.close();
    await until(() => agent.sockets.every((s) => s.readyState === WebSocket.CLOSED));
    await until(() => proxy.activeStreams === 0);
  });

  it('extends X-Forwarded-For from a trusted proxy', async () => {
    const { port } = await proxyApp({ trustedProxies: ['127.0.0.0/8'] });
    const ws = await connect(port, { ...signedIn, 'x-forwarded-for': '203.0.113.9' });
    expect(agent.upgrades[0]?.['x-forwarded-for']).toBe('203.0.113.9,127.0.0.1');
    ws.close();
  });

  it('refuses without a cookie (401) and hides other sessions (404), over HTTP and WebSocket', async () => {
    const { port } = await proxyApp();
    await expect(connect(port)).rejects.toThrow('status 401');
    await expect(connect(port, signedIn, `/session/${SID.replace('1', '9')}/websockify`)).rejects.toThrow(
      'status 404',
    );
    expect((await fetch(`http://127.0.0.1:${port}/session/${SID}/`)).status).toBe(401);
    expect(agent.upgrades).toHaveLength(0);
  });

  it('refuses (403) an upgrade from a foreign page or without an Origin before asking who calls', async () => {
    const { port } = await proxyApp();
    await expect(connect(port, { ...signedIn, origin: 'https://evil.example' })).rejects.toThrow(
      'status 403',
    );
    await expect(connect(port, { ...signedIn, origin: 'null' })).rejects.toThrow('status 403');
    await expect(openWebSocket(`ws://127.0.0.1:${port}/session/${SID}/websockify`, signedIn)).rejects.toThrow(
      'status 403',
    );
    expect(agent.upgrades).toHaveLength(0);
  });

  it('closes the browser side when the agent ends the stream', async () => {
    const { proxy, port } = await proxyApp();
    const ws = await connect(port, signedIn);
    await until(() => agent.sockets.length > 0);
    agent.sockets.at(-1)?.terminate();
    await closed(ws);
    await until(() => proxy.activeStreams === 0);
  });

  it('answers 504 when the agent never answers the upgrade, 502 when it is down', async () => {
    const slow = await proxyApp({ agentUrl: silent.url, limits: { handshakeTimeoutMs: 300 } });
    await expect(connect(slow.port, signedIn)).rejects.toThrow('status 504');
    const probe = createNetServer();
    const dead = await listen(probe);
    probe.close();
    const down = await proxyApp({ agentUrl: `http://127.0.0.1:${dead}` });
    await expect(connect(down.port, signedIn)).rejects.toThrow('status 502');
    const page = await fetch(`http://127.0.0.1:${down.port}/session/${SID}/`, { headers: signedIn });
    expect(page.status).toBe(502);
  });

  it('keeps HTTP connections to the agent alive and drops cookies the agent sets', async () => {
    const { port } = await proxyApp();
    const before = agent.connections;
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/session/${SID}/`, { headers: signedIn });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('agent says hi');
      expect(r.headers.get('set-cookie')).toBeNull();
    }
    expect(agent.connections - before).toBe(1);
    expect(agent.requests[0]?.cookie).toBeUndefined();
    expect(agent.requests[0]?.['x-porthole-grant']).toBe('signed-grant');
  });

  it('closes its streams when the server closes', async () => {
    const { app, port } = await proxyApp();
    const ws = await connect(port, signedIn);
    await app.close();
    apps = apps.filter((a) => a !== app);
    await closed(ws);
  });

  it('hands the socket to an in-process gateway for its agent (one hop)', async () => {
    const { proxy, port } = await proxyApp();
    const seen: GrantPayload[] = [];
    proxy.setLocalGateway({
      agentId: 'agent-1',
      relayUpgrade: (_req, socket, _head, grant) => {
        seen.push(grant);
        socket.end('HTTP/1.1 418 Local\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      },
      handleRequest: (_req, res) => res.end('local'),
    });
    await expect(connect(port, signedIn)).rejects.toThrow('status 418');
    expect(seen[0]).toMatchObject({ sid: SID, role: 'owner' });
    const r = await fetch(`http://127.0.0.1:${port}/session/${SID}/`, { headers: signedIn });
    expect(await r.text()).toBe('local');
    expect(agent.upgrades).toHaveLength(0);
  });
});
