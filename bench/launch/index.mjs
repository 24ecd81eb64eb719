#!/usr/bin/env node
// Launch bench: how long from "create" until the workspace's RFB banner answers, for
//   server — what a user feels: POST /api/sessions on a real server (in this process), poll the
//            session until `running`, then open /session/<id>/websockify through the server's
//            embedded proxy with the sign-in cookie and read the 12-byte banner;
//   agent  — the agent API alone (an agent registered with a stub control plane whose grant key
//            the bench holds): POST /v1/sessions, GET …/ready, banner through the agent's gateway;
//   raw    — plain Docker: dockerode create+start of the same image with the same env and limits
//            (copied from a container the agent made), then poll wss://127.0.0.1:<port>/websockify.
// 10 runs each, interleaved (order rotated every round), after one warm-up each; then 10
// concurrent launches through the server (and 10 concurrent raw runs for reference).
// Prints a table, writes bench/results/launch.json.
//
//   npm run build && node bench/launch/index.mjs [--runs 10] [--concurrent 10] [--image firefox]
//
// Database: a fresh database on $TEST_DATABASE_URL when set (`source .test-services/env`),
// otherwise the embedded PostgreSQL in a temporary data dir. Needs the Docker socket and the image.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent } from '@porthole/agent';
import { startServer } from '@porthole/server';
import Dockerode from 'dockerode';
import pg from 'pg';
import pino from 'pino';
import WebSocket from 'ws';
import { GrantSigner } from '../../packages/server/dist/agents/grant-signer.js';
import { percentile, table } from '../lib/proc.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    concurrent: { type: 'string', default: '10' },
    image: { type: 'string', default: 'firefox' },
    cores: { type: 'string', default: '1' },
    'memory-mb': { type: 'string', default: '1024' },
    out: { type: 'string', default: 'bench/results/launch.json' },
  },
});
const RUNS = Number(values.runs);
const CONCURRENT = Number(values.concurrent);
const CORES = Number(values.cores);
const MEMORY_MB = Number(values['memory-mb']);
const SHM_MB = 512;
const ADMIN_PASSWORD = 'bench-launch-admin-password';
const USER_PASSWORD = 'bench-launch-user-password';
const LABEL = 'io.porthole.bench';
const RUN = randomUUID().slice(0, 8);
const docker = new Dockerode({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const logger = pino({ level: process.env.PORTHOLE_BENCH_LOG ?? 'silent' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cleanups = [];

// ---- the stack: database, server, two agents ----

let databaseUrl;
if (process.env.TEST_DATABASE_URL) {
  const name = `bench_launch_${RUN}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(process.env.TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.end();
  });
}
const phase = (what) => process.stderr.write(`${new Date().toISOString()} ${what}\n`);
phase('database ready');
const dataDir = mkdtempSync(join(tmpdir(), 'porthole-bench-launch-'));
cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

const server = await startServer(
  {
    host: '127.0.0.1',
    port: 0,
    tls: { mode: 'none' },
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    adminPassword: ADMIN_PASSWORD,
    sessionTtlHours: 12,
    trustedProxies: [],
    checkinSeconds: 1,
  },
  logger,
);
cleanups.push(() => server.close());
phase('server up');

async function api(path, { method = 'GET', body, cookie } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return { body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
async function signIn(username, password) {
  const r = await api('/api/auth/login', { method: 'POST', body: { username, password } });
  return r.headers.get('set-cookie').split(';')[0];
}

const adminCookie = await signIn('admin@porthole.local', ADMIN_PASSWORD);
const as =
  (cookie) =>
  (path, init = {}) =>
    api(path, { ...init, cookie });
const admin = as(adminCookie);

const images = (await admin('/api/admin/images')).body.items;
const workspace = images.find((i) => i.name === values.image);
if (!workspace) throw new Error(`no workspace named ${values.image}`);
await admin(`/api/admin/images/${workspace.id}`, {
  method: 'PATCH',
  body: { cores: CORES, memoryMb: MEMORY_MB, shmMb: SHM_MB },
});
const IMAGE = workspace.dockerImage;
const allUsers = (await admin('/api/admin/groups')).body.items.find((g) => g.systemRole === 'all_users');
await admin(`/api/admin/groups/${allUsers.id}`, {
  method: 'PATCH',
  body: { settings: { max_sessions_per_user: 1000 } },
});
await admin('/api/admin/users', {
  method: 'POST',
  body: { username: `bench-${RUN}@porthole.local`, password: USER_PASSWORD },
});
const userCookie = await signIn(`bench-${RUN}@porthole.local`, USER_PASSWORD);
const user = as(userCookie);

const { token } = await server.services.agents.registrationToken();
const agentDirs = [
  mkdtempSync(join(tmpdir(), 'porthole-bench-agent-')),
  mkdtempSync(join(tmpdir(), 'porthole-bench-agent-')),
];
cleanups.push(async () => {
  for (const d of agentDirs) rmSync(d, { recursive: true, force: true });
});
const agentConfig = (serverUrl, name, stateDir) => ({
  serverUrl,
  token,
  name,
  listen: { host: '127.0.0.1', port: 0 },
  stateDir,
  checkinIntervalSeconds: 1,
});
const serverAgent = await startAgent(agentConfig(server.url, `bench-${RUN}`, agentDirs[0]), logger);
cleanups.push(() => serverAgent.close());
// Room for the concurrent round whatever this host has.
await admin(`/api/admin/agents/${serverAgent.agentId}`, {
  method: 'PATCH',
  body: { coresOverride: CORES * (CONCURRENT + 2), memoryMbOverride: MEMORY_MB * (CONCURRENT + 2) },
});
for (;;) {
  const a = (await admin(`/api/admin/agents/${serverAgent.agentId}`)).body;
  if (a.status === 'online' && a.images.some((i) => i.ref === IMAGE && i.state === 'present')) break;
  await sleep(200);
}

phase('server agent ready');
// A stub control plane for the direct agent: registration, check-ins, and the grant key we hold.
const signer = new GrantSigner(GrantSigner.generatePrivateKeyPem());
const stub = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/agent/register') {
      res.statusCode = 201;
      res.end(
        JSON.stringify({
          agentId: randomUUID(),
          secret: 'stub',
          zoneId: randomUUID(),
          grantPublicKey: signer.publicKeyPem,
        }),
      );
    } else {
      res.end(
        JSON.stringify({
          images: [{ ref: IMAGE }],
          removeSessions: [],
          checkinIntervalSeconds: 1,
          grantPublicKey: signer.publicKeyPem,
        }),
      );
    }
  });
});
await new Promise((r) => stub.listen(0, '127.0.0.1', r));
cleanups.push(() => new Promise((r) => stub.close(r)));
const directAgent = await startAgent(
  agentConfig(`http://127.0.0.1:${stub.address().port}`, `bench-direct-${RUN}`, agentDirs[1]),
  logger,
);
cleanups.push(() => directAgent.close());
for (const agentId of [serverAgent.agentId, directAgent.agentId]) {
  cleanups.push(async () => {
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`io.porthole.agent=${agentId}`] },
    });
    await Promise.all(
      left.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  });
}
cleanups.push(async () => {
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=launch-${RUN}`] } });
  await Promise.all(
    left.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
});

// ---- probes ----

/** One WebSocket: resolves with the first 12 bytes, or `{ failed }` saying why there were none. */
function banner(url, headers, protocols) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { headers, rejectUnauthorized: false });
    let got = Buffer.alloc(0);
    const done = (value) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(value);
    };
    const timer = setTimeout(() => done({ failed: 'no banner within 10 s' }), 10_000);
    ws.on('message', (data) => {
      got = Buffer.concat([got, data]);
      if (got.length >= 12) done(got.subarray(0, 12).toString('latin1'));
    });
    ws.on('unexpected-response', (_req, res) => done({ failed: `HTTP ${res.statusCode}` }));
    ws.on('error', (err) => done({ failed: err.message }));
    ws.on('close', (code) => done({ failed: `closed ${code}` }));
  });
}
const isBanner = (b) => typeof b === 'string' && /^RFB 003\.00[78]\n$/.test(b);

// ---- the three ways ----

/** Server: POST → running (polled every 50 ms) → banner through the embedded proxy. */
async function viaServer() {
  const t0 = performance.now();
  const created = (await user('/api/sessions', { method: 'POST', body: { imageId: workspace.id } })).body;
  const accepted = performance.now();
  const cleanup = () => user(`/api/sessions/${created.id}`, { method: 'DELETE' });
  return settle(cleanup, async () => {
    for (;;) {
      const s = (await user(`/api/sessions/${created.id}`)).body;
      if (s.state === 'running') break;
      if (s.state === 'error') throw new Error(`session failed: ${s.stateReason}`);
      await sleep(50);
    }
    const running = performance.now();
    const url = `${server.url.replace(/^http/, 'ws')}/session/${created.id}/websockify`;
    const b = await banner(url, { cookie: userCookie }, ['binary']);
    if (!isBanner(b)) throw new Error(`no banner through the proxy: ${JSON.stringify(b)}`);
    const done = performance.now();
    return {
      id: created.id,
      totalMs: done - t0,
      splitMs: { accepted: accepted - t0, running: running - accepted, banner: done - running },
    };
  });
}

async function agentCall(method, path, sid, act, body) {
  const grant = signer.issue({ aud: directAgent.agentId, sid, act }, 60);
  const res = await fetch(new URL(path, directAgent.url), {
    method,
    headers: { authorization: `Bearer ${grant}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`agent ${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Agent API: create (201 once the container started) → ready → banner through the agent's gateway. */
async function viaAgent() {
  const sid = randomUUID();
  const t0 = performance.now();
  await agentCall('POST', '/v1/sessions', sid, 'create', {
    sessionId: sid,
    ownerId: 'bench',
    ownerName: 'bench',
    image: { ref: IMAGE, name: values.image },
    cores: CORES,
    memoryBytes: MEMORY_MB * 1024 * 1024,
    shmBytes: SHM_MB * 1024 * 1024,
    network: null,
    url: null,
  });
  const created = performance.now();
  const cleanup = () => agentCall('DELETE', `/v1/sessions/${sid}`, sid, 'control');
  return settle(cleanup, async () => {
    await agentCall('GET', `/v1/sessions/${sid}/ready?timeoutMs=90000`, sid, 'control');
    const ready = performance.now();
    const grant = signer.issue({ aud: directAgent.agentId, sid, act: 'stream', role: 'owner' }, 30);
    const url = `${directAgent.url.replace(/^http/, 'ws')}/session/${sid}/websockify`;
    const b = await banner(url, { 'x-porthole-grant': grant }, ['binary']);
    if (!isBanner(b)) throw new Error(`no banner through the agent gateway: ${JSON.stringify(b)}`);
    const done = performance.now();
    return {
      id: sid,
      totalMs: done - t0,
      splitMs: { created: created - t0, ready: ready - created, banner: done - ready },
    };
  });
}

/** What the agent gives a container, for raw runs to copy: env (minus ids), limits. */
let template;
async function captureTemplate(sessionLabel) {
  const [info] = await docker.listContainers({ all: true, filters: { label: [sessionLabel] } });
  const c = await docker.getContainer(info.Id).inspect();
  template = {
    env: c.Config.Env.filter((e) => !/^(VNC_PW|KASM_ID|PORTHOLE_SESSION_ID)=/.test(e)),
    hostConfig: {
      NanoCpus: c.HostConfig.NanoCpus,
      Memory: c.HostConfig.Memory,
      MemorySwap: c.HostConfig.MemorySwap,
      ShmSize: c.HostConfig.ShmSize,
      PidsLimit: c.HostConfig.PidsLimit,
    },
  };
}

/** Raw Docker: create + start with the same env and limits, then poll the banner every 10 ms. */
async function raw() {
  const password = randomBytes(24).toString('base64url');
  const id = randomUUID();
  const t0 = performance.now();
  const container = await docker.createContainer({
    Image: IMAGE,
    Env: [...template.env, `VNC_PW=${password}`, `KASM_ID=${id}`, `PORTHOLE_SESSION_ID=${id}`],
    Labels: { [LABEL]: `launch-${RUN}` },
    ExposedPorts: { '6901/tcp': {} },
    HostConfig: {
      ...template.hostConfig,
      PortBindings: { '6901/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    },
  });
  const cleanup = () => container.remove({ force: true });
  return settle(cleanup, async () => {
    await container.start();
    const started = performance.now();
    const port = Number((await container.inspect()).NetworkSettings.Ports['6901/tcp']?.[0]?.HostPort);
    const auth = { Authorization: `Basic ${Buffer.from(`kasm_user:${password}`).toString('base64')}` };
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (isBanner(await banner(`wss://127.0.0.1:${port}/websockify`, auth, ['binary']))) break;
      if (Date.now() > deadline) throw new Error('raw: no RFB banner within 90 s');
      await sleep(10);
    }
    const done = performance.now();
    return {
      id,
      totalMs: done - t0,
      splitMs: { started: started - t0, banner: done - started },
    };
  });
}

/** The measurement, or why it failed; the cleanup either way. */
async function settle(cleanup, measure) {
  try {
    return { ...(await measure()), cleanup };
  } catch (err) {
    return { failed: err instanceof Error ? err.message : String(err), cleanup };
  }
}

/** A way that failed before it had anything to clean up (the final sweep removes leftovers). */
const attempt = (way) =>
  way().catch((err) => ({
    failed: err instanceof Error ? err.message : String(err),
    cleanup: async () => {},
  }));

const ways = { server: viaServer, agent: viaAgent, raw };

// ---- runs ----

const summarize = (xs) => {
  if (xs.length === 0) return { min: null, median: null, p90: null, max: null };
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: percentile(s, 50), p90: percentile(s, 90), max: s.at(-1) };
};
const round = (x) => Math.round(x);
const fmt = (x) => (Number.isFinite(x) ? round(x) : '-');
const load = [];
const loadTimer = setInterval(() => load.push(loadavg()[0]), 1000);

let exitCode = 0;
const results = { sequential: {}, concurrent: {} };
const failures = [];
try {
  phase('direct agent ready');
  // Warm-up (not counted): page cache, and the template for raw runs.
  const warm = await viaServer();
  await captureTemplate(`io.porthole.session=${warm.id}`);
  await warm.cleanup();
  for (const w of [viaAgent, raw]) await (await w()).cleanup().catch(() => undefined);

  phase('warm-up done');
  const samples = { server: [], agent: [], raw: [] };
  const names = Object.keys(ways);
  for (let i = 0; i < RUNS; i += 1) {
    const order = names.map((_, k) => names[(i + k) % names.length]);
    for (const name of order) {
      const r = await attempt(ways[name]);
      await r.cleanup().catch(() => undefined);
      if (r.failed) failures.push({ run: i + 1, path: name, error: r.failed });
      else samples[name].push({ totalMs: r.totalMs, splitMs: r.splitMs });
      process.stderr.write(`run ${i + 1}/${RUNS} ${name}: ${r.failed ?? `${round(r.totalMs)} ms`}\n`);
      await sleep(300);
    }
  }
  for (const [name, xs] of Object.entries(samples)) {
    results.sequential[name] = { ...summarize(xs.map((x) => x.totalMs)), samples: xs };
  }

  // Concurrent: N launches at once through the server, then N raw runs at once.
  for (const name of CONCURRENT > 0 ? ['server', 'raw'] : []) {
    const t0 = performance.now();
    const runs = await Promise.all(Array.from({ length: CONCURRENT }, () => attempt(ways[name])));
    const totalMs = performance.now() - t0;
    const ok = runs.filter((r) => !r.failed);
    for (const r of runs) if (r.failed) failures.push({ run: 'concurrent', path: name, error: r.failed });
    results.concurrent[name] = {
      n: CONCURRENT,
      ok: ok.length,
      totalMs,
      perSession: summarize(ok.map((r) => r.totalMs)),
    };
    await Promise.all(runs.map((r) => r.cleanup().catch(() => undefined)));
    process.stderr.write(`concurrent ${CONCURRENT} ${name}: ${round(totalMs)} ms\n`);
    await sleep(1000);
  }
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  clearInterval(loadTimer);
  for (const step of cleanups.reverse()) await step().catch((err) => console.error('cleanup:', err.message));
}

if (exitCode === 0) {
  const seq = results.sequential;
  const rows = Object.entries(seq).map(([name, s]) => ({
    path: name,
    runs: s.samples.length,
    'min ms': round(s.min),
    'median ms': round(s.median),
    'p90 ms': round(s.p90),
    'max ms': round(s.max),
    'vs raw (median)': (s.median / seq.raw.median).toFixed(2),
  }));
  for (const [name, c] of Object.entries(results.concurrent)) {
    rows.push({
      path: `${name} ×${c.n} concurrent`,
      runs: c.ok,
      'min ms': fmt(c.perSession.min),
      'median ms': fmt(c.perSession.median),
      'p90 ms': fmt(c.perSession.p90),
      'max ms': fmt(c.perSession.max),
      'vs raw (median)':
        c.ok > 0 && results.concurrent.raw.ok > 0
          ? (c.perSession.median / results.concurrent.raw.perSession.median).toFixed(2)
          : '-',
    });
  }
  console.log(`\nlaunch → RFB banner, ${IMAGE} (${CORES} cores, ${MEMORY_MB} MB), ${cpus().length} CPUs`);
  console.log(table(rows));
  for (const [name, c] of Object.entries(results.concurrent))
    console.log(`${name} ×${c.n} concurrent: all banners after ${round(c.totalMs)} ms`);
  const splits = (name) =>
    Object.keys(seq[name].samples[0].splitMs)
      .map((k) => `${k} ${round(summarize(seq[name].samples.map((x) => x.splitMs[k])).median)}`)
      .join(' · ');
  for (const name of Object.keys(seq)) console.log(`${name} split (median ms): ${splits(name)}`);
  if (failures.length > 0) console.log(`failed runs (not in the figures): ${JSON.stringify(failures)}`);
  const ratio = seq.server.median / seq.raw.median;
  console.log(
    `ratio ours/raw (median): server ${ratio.toFixed(2)}, agent ${(seq.agent.median / seq.raw.median).toFixed(2)}`,
  );

  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    values.out,
    `${JSON.stringify(
      {
        benchmark: 'launch',
        at: new Date().toISOString(),
        host: { cpus: cpus().length, loadavg: loadavg(), loadDuringRun: summarize(load) },
        image: IMAGE,
        cores: CORES,
        memoryMb: MEMORY_MB,
        database: databaseUrl ? 'external' : 'embedded',
        ratio: { server: ratio, agent: seq.agent.median / seq.raw.median },
        ...results,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${values.out}`);
}
process.exit(exitCode);
