// The processes of the proxy bench, one role each (so /proc/<pid>/stat measures one thing):
//   echo     a stand-in workspace: HTTPS + WSS echo on /websockify, basic auth kasm_user:<pw>
//   gateway  the agent's SessionGateway over plain HTTP (as the agent API serves it)
//   proxy    the server's EmbeddedProxy (HTTPS like `porthole up`, or HTTP as nginx's API),
//            with the real StreamAuthService on in-memory rows; --one-hop adds an in-process gateway
//            (--no-coalesce: without coalescing its TLS-to-TLS writes)
// Each prints one JSON line {"port": N} once listening. Configuration: BENCH_CONFIG (JSON).
//   node bench/proxy/roles.mjs <role> [--one-hop [--no-coalesce]] [--http]

import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';

const cfg = JSON.parse(process.env.BENCH_CONFIG ?? '{}');
const role = process.argv[2];
const flags = new Set(process.argv.slice(3));
// Which build to measure: the repository's packages by default, another checkout's for before/after.
const root = cfg.packagesRoot ?? new URL('../../packages/', import.meta.url).pathname;
const load = (path) => import(pathToFileURL(`${root}/${path}`).href);
const quiet = { info() {}, warn() {}, debug() {}, error() {} };

function ready(server) {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
}

async function echo() {
  const expected = `Basic ${Buffer.from(`kasm_user:${cfg.password}`).toString('base64')}`;
  const server = createHttpsServer({ key: cfg.key, cert: cfg.cert }, (_req, res) => res.end('echo'));
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (p) => (p.has('binary') ? 'binary' : false),
    verifyClient: (info) => info.req.headers.authorization === expected,
  });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  server.listen(0, '127.0.0.1', () => ready(server));
}

async function makeGateway() {
  const { SessionGateway } = await load('agent/dist/gateway/session-gateway.js');
  const { GrantVerifier } = await load('agent/dist/auth/grant-verifier.js');
  const verifier = new GrantVerifier(cfg.publicKeyPem, cfg.agentId);
  return new SessionGateway({
    verifier: () => verifier,
    targets: {
      target: (id) => (id === cfg.sessionId ? { hostPort: cfg.echoPort, vncPassword: cfg.password } : null),
    },
    onActivity: () => undefined,
    log: quiet,
    // --no-coalesce: the one-hop relay as it was before it coalesced TLS writes (an A/B in one run).
    ...(flags.has('--no-coalesce') ? { limits: { coalesceTlsWrites: false } } : {}),
  });
}

async function gateway() {
  const gw = await makeGateway();
  const server = createHttpServer((req, res) => gw.handleRequest(req, res));
  server.on('upgrade', (req, socket, head) => gw.handleUpgrade(req, socket, head));
  server.listen(0, '127.0.0.1', () => ready(server));
}

async function proxy() {
  const { default: Fastify } = await import('fastify');
  const { default: cookie } = await import('@fastify/cookie');
  const { EmbeddedProxy } = await load('server/dist/proxy/embedded-proxy.js');
  const { StreamAuthService } = await load('server/dist/proxy/stream-auth.js');
  const { sessionAuthRoutes } = await load('server/dist/proxy/session-auth-routes.js');
  const { GrantSigner } = await load('server/dist/agents/grant-signer.js');
  const { installErrorHandler } = await load('server/dist/http/error-handler.js');
  let upgrades;
  try {
    const { UpgradeRouter } = await load('server/dist/http/upgrade-router.js');
    upgrades = new UpgradeRouter();
  } catch {
    upgrades = undefined; // builds before the upgrade router registered on app.server directly
  }
  const tls = !flags.has('--http');
  const app = Fastify({ ...(tls ? { https: { key: cfg.key, cert: cfg.cert } } : {}), logger: false });
  await app.register(cookie);
  installErrorHandler(app);
  // The sign-in cookie resolves without a database: the bench measures the relay, not Postgres.
  const caller = { userId: 'owner', username: 'owner', isAdmin: false };
  const auth = { resolveSession: async (token) => (token === cfg.cookie ? caller : null) };
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request) => {
    request.caller = await auth.resolveSession(request.cookies.porthole_session ?? '');
  });
  const session = {
    id: cfg.sessionId,
    user_id: 'owner',
    state: 'running',
    agent_id: cfg.agentId,
    ended_at: null,
  };
  const streams = new StreamAuthService({
    sessions: { find: async (id) => (id === cfg.sessionId ? session : undefined) },
    agents: { find: async (id) => (id === cfg.agentId ? { id, url: cfg.gatewayUrl } : undefined) },
    signer: new GrantSigner(cfg.privateKeyPem),
  });
  sessionAuthRoutes(app, streams);
  const embedded = new EmbeddedProxy({ auth, streams, upgrades, log: quiet });
  embedded.register(app);
  upgrades?.attach(app);
  if (flags.has('--one-hop')) {
    const gw = await makeGateway();
    embedded.setLocalGateway({
      agentId: cfg.agentId,
      relayUpgrade: (req, socket, head, grant) => gw.relayUpgrade(req, socket, head, grant),
      handleRequest: (req, res, grant) => gw.handleRequest(req, res, grant),
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  ready(app.server);
}

// A clean exit on SIGTERM, so `--cpu-prof` (BENCH_PROFILE_DIR) can write its profile.
process.on('SIGTERM', () => process.exit(0));

const roles = { echo, gateway, proxy };
if (!roles[role]) {
  process.stderr.write(`unknown role ${role}\n`);
  process.exit(2);
}
await roles[role]();
