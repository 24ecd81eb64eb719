// Proxy bench: WebSocket echo through each stream path, interleaved, several repetitions.
//   (a) direct       client → echo "workspace" (TLS, basic auth), no proxy
//   (b) gateway      client → agent SessionGateway (grant header, plain HTTP) → workspace
//   (c) separate     client → embedded proxy (TLS) → gateway process → workspace
//       one-hop      client → embedded proxy with the gateway in the same process → workspace
//       one-hop-uncoalesced  the same without coalescing TLS-to-TLS writes (the relay before)
//   (d) nginx        client → nginx (TLS, auth_request, 64k buffers) → gateway → workspace
//       nginx-4k     the same with nginx's default proxy buffers
// Every proxy runs as a child process; CPU from /proc/<pid>/stat, peak RSS from VmHWM.
//   node bench/proxy/index.mjs [--reps 3] [--seconds 3] [--rtts 2000] [--connect-seconds 2]
//                              [--packages <dir with server/dist and agent/dist>] [--out file]

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, memoryKb, percentile, table } from '../lib/proc.mjs';
import { connects, roundTrips, throughput } from './load.mjs';
import { startNginx } from './nginx.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    rtts: { type: 'string', default: '2000' },
    'connect-seconds': { type: 'string', default: '2' },
    packages: { type: 'string', default: resolve(here, '../../packages') },
    only: { type: 'string' },
    out: { type: 'string', default: resolve(here, '../results/proxy.json') },
  },
});
const reps = Number(values.reps);
const seconds = Number(values.seconds);
const packagesRoot = resolve(values.packages);
const MSG = 64 * 1024;
const IN_FLIGHT = 16;

const dir = mkdtempSync(join(tmpdir(), 'porthole-bench-proxy-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
execFileSync(
  'openssl',
  [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
    ...[
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
  ],
  { stdio: 'ignore' },
);
const cert = readFileSync(certFile, 'utf8');
const { GrantSigner } = await import(
  pathToFileURL(join(packagesRoot, 'server/dist/agents/grant-signer.js')).href
);
const privateKeyPem = GrantSigner.generatePrivateKeyPem();
const signer = new GrantSigner(privateKeyPem);
const cfg = {
  packagesRoot,
  key: readFileSync(keyFile, 'utf8'),
  cert,
  password: randomBytes(12).toString('hex'),
  privateKeyPem,
  publicKeyPem: signer.publicKeyPem,
  agentId: randomUUID(),
  sessionId: randomUUID(),
  cookie: randomBytes(16).toString('hex'),
};

const children = [];
function role(name, args = []) {
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = spawn(process.execPath, [...profile, join(here, 'roles.mjs'), name, ...args], {
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(cfg) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((ok, fail) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) ok({ child, pid: child.pid, port: JSON.parse(line).port });
    });
    child.once('exit', (code) => fail(new Error(`role ${name} exited ${code}`)));
  });
}

const cleanup = () => {
  // SIGTERM: an nginx master stops its workers itself (after SIGKILL they would live on).
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

const echo = await role('echo');
cfg.echoPort = echo.port;
const gateway = await role('gateway');
cfg.gatewayUrl = `http://127.0.0.1:${gateway.port}`;
const separate = await role('proxy');
const oneHop = await role('proxy', ['--one-hop']);
const oneHopPlain = await role('proxy', ['--one-hop', '--no-coalesce']);
const api = await role('proxy', ['--http']);
const nginxOpts = { packagesRoot, serverUrl: `http://127.0.0.1:${api.port}`, certFile, keyFile };
const nginx = await startNginx({ ...nginxOpts, dir: join(dir, 'nginx') });
const nginx4k = await startNginx({ ...nginxOpts, dir: join(dir, 'nginx-4k'), defaultBuffers: true });
for (const n of [nginx, nginx4k]) children.push(n.child);

const path = `/session/${cfg.sessionId}/websockify`;
const cookie = () => ({ cookie: `porthole_session=${cfg.cookie}` });
const grant = () => ({
  'x-porthole-grant': signer.sign({
    aud: cfg.agentId,
    sid: cfg.sessionId,
    act: 'stream',
    role: 'owner',
    exp: Math.floor(Date.now() / 1000) + 30,
  }),
});
const basic = () => ({
  authorization: `Basic ${Buffer.from(`kasm_user:${cfg.password}`).toString('base64')}`,
});
const targets = [
  {
    name: 'direct',
    url: `wss://127.0.0.1:${echo.port}/websockify`,
    ca: cert,
    headers: basic,
    front: () => [],
    gw: () => [],
  },
  {
    name: 'gateway',
    url: `ws://127.0.0.1:${gateway.port}${path}`,
    headers: grant,
    front: () => [],
    gw: () => [gateway.pid],
  },
  {
    name: 'proxy+gateway',
    url: `wss://127.0.0.1:${separate.port}${path}`,
    ca: cert,
    headers: cookie,
    front: () => [separate.pid],
    gw: () => [gateway.pid],
  },
  {
    name: 'one-hop',
    url: `wss://127.0.0.1:${oneHop.port}${path}`,
    ca: cert,
    headers: cookie,
    front: () => [oneHop.pid],
    gw: () => [],
  },
  {
    name: 'one-hop-uncoalesced',
    url: `wss://127.0.0.1:${oneHopPlain.port}${path}`,
    ca: cert,
    headers: cookie,
    front: () => [oneHopPlain.pid],
    gw: () => [],
  },
  {
    name: 'nginx+gateway',
    url: `wss://127.0.0.1:${nginx.port}${path}`,
    ca: cert,
    headers: cookie,
    front: nginx.pids,
    gw: () => [gateway.pid],
  },
  {
    name: 'nginx-4k+gateway',
    url: `wss://127.0.0.1:${nginx4k.port}${path}`,
    ca: cert,
    headers: cookie,
    front: nginx4k.pids,
    gw: () => [gateway.pid],
  },
].filter((t) => !values.only || values.only.split(',').includes(t.name));

const cpu = (pids) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Warm-up: JIT, TLS session setup, buffers.
for (const t of targets) await throughput(t, { streams: 1, inFlight: IN_FLIGHT, size: MSG, seconds: 0.5 });

const runs = [];
for (let rep = 1; rep <= reps; rep++) {
  for (const t of targets) {
    const f0 = cpu(t.front());
    const g0 = cpu(t.gw());
    const one = await throughput(t, { streams: 1, inFlight: IN_FLIGHT, size: MSG, seconds });
    // 50 × 16 × 64 KiB = 52 MB in flight: give it time to reach a steady state before measuring.
    const fifty = await throughput(t, {
      streams: 50,
      inFlight: IN_FLIGHT,
      size: MSG,
      seconds: 2 * seconds,
      measureSeconds: seconds,
    });
    // Every payload byte crosses each proxy twice: to the workspace and back.
    const gb = ((one.echoed + fifty.echoed) * 2) / 1e9;
    const frontCpu = cpu(t.front()) - f0;
    const gwCpu = cpu(t.gw()) - g0;
    const rtt = await roundTrips(t, { count: Number(values.rtts), size: 100 });
    const conn = await connects(t, { seconds: Number(values['connect-seconds']), concurrency: 8 });
    const run = {
      rep,
      target: t.name,
      mbps1: one.bytesPerSecond / 1e6,
      mbps50: fifty.bytesPerSecond / 1e6,
      rttP50us: percentile(rtt, 50),
      rttP99us: percentile(rtt, 99),
      connectsPerSecond: conn.perSecond,
      connectFailures: conn.failures,
      gbRelayed: gb,
      frontCpuPerGb: t.front().length ? frontCpu / gb : null,
      gatewayCpuPerGb: t.gw().length ? gwCpu / gb : null,
      pathCpuPerGb: (frontCpu + gwCpu) / gb,
    };
    runs.push(run);
    process.stderr.write(
      `rep ${rep} ${t.name}: ${run.mbps1.toFixed(0)} MB/s, ${run.pathCpuPerGb.toFixed(2)} CPU-s/GB\n`,
    );
  }
}

const peakMb = (pids) => pids.reduce((sum, pid) => sum + memoryKb(pid).peakKb, 0) / 1024;
const summary = targets.map((t) => {
  const mine = runs.filter((r) => r.target === t.name);
  const m = (k) => (mine[0][k] === null ? null : median(mine.map((r) => r[k])));
  return {
    target: t.name,
    mbps1: m('mbps1'),
    mbps50: m('mbps50'),
    rttP50us: m('rttP50us'),
    rttP99us: m('rttP99us'),
    connectsPerSecond: m('connectsPerSecond'),
    frontCpuPerGb: m('frontCpuPerGb'),
    gatewayCpuPerGb: m('gatewayCpuPerGb'),
    pathCpuPerGb: m('pathCpuPerGb'),
    frontPeakRssMb: t.front().length ? peakMb(t.front()) : null,
  };
});
const direct = summary.find((s) => s.target === 'direct') ?? summary[0];
const fmt = (v, d = 0) => (v === null || v === undefined ? '-' : v.toFixed(d));
const ratio = (v, base) => (v === null || !base ? '-' : `${(v / base).toFixed(2)}x`);
const rows = summary.map((s) => ({
  path: s.target,
  'MB/s 1': fmt(s.mbps1),
  'x direct': ratio(s.mbps1, direct.mbps1),
  'MB/s 50': fmt(s.mbps50),
  'x direct ': ratio(s.mbps50, direct.mbps50),
  'rtt p50 us': fmt(s.rttP50us),
  'p99 us': fmt(s.rttP99us),
  'rtt x': ratio(s.rttP50us, direct.rttP50us),
  'conn/s': fmt(s.connectsPerSecond),
  'front CPU-s/GB': fmt(s.frontCpuPerGb, 2),
  'gw CPU-s/GB': fmt(s.gatewayCpuPerGb, 2),
  'path CPU-s/GB': fmt(s.pathCpuPerGb, 2),
  'front peak MB': fmt(s.frontPeakRssMb),
}));
console.log(table(rows));
const processes = {
  echo: echo.pid,
  gateway: gateway.pid,
  'proxy (separate)': separate.pid,
  'proxy (one-hop)': oneHop.pid,
  'proxy (one-hop, uncoalesced)': oneHopPlain.pid,
};
console.log(
  `\npeak RSS MB: ${Object.entries(processes)
    .map(([k, pid]) => `${k} ${peakMb([pid]).toFixed(0)}`)
    .join(', ')}, nginx ${peakMb(nginx.pids()).toFixed(0)}, nginx-4k ${peakMb(nginx4k.pids()).toFixed(0)}`,
);

mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  `${JSON.stringify(
    {
      benchmark: 'proxy',
      at: new Date().toISOString(),
      host: { cpus: cpus().length, loadavg: loadavg() },
      packages: packagesRoot,
      settings: {
        reps,
        seconds,
        messageBytes: MSG,
        inFlight: IN_FLIGHT,
        rtts: Number(values.rtts),
        connectSeconds: Number(values['connect-seconds']),
      },
      summary,
      peakRssMb: {
        ...Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, peakMb([pid])])),
        nginx: peakMb(nginx.pids()),
        'nginx-4k': peakMb(nginx4k.pids()),
      },
      runs,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${values.out}`);
for (const c of children) c.kill('SIGTERM');
await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
process.exit(0);
