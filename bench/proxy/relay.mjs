// Relay micro-bench, kept as the record of an experiment: CPU per GB of `from.pipe(to)` (what
// http-proxy-3 does once a WebSocket is upgraded) against a relay that coalesces the chunks of one
// event-loop turn into one write (cork + setImmediate; a TLS socket yields 16 KiB records one
// callback each). For a TLS source into a TCP sink (a proxy's browser side) and a TCP source into
// a TLS sink. Source and sink run in a child process; this process only relays, so
// process.cpuUsage() is the relay's cost. Alternating runs, medians. On this machine the
// difference stayed within ±10–20 % run to run for these TLS↔TCP hops, so they keep the plain
// pipe; TLS↔TLS (the one-hop relay) gained 15 % in the full bench and coalesces
// (`coalesceWrites` in packages/stream).
//   node bench/proxy/relay.mjs [--runs 12] [--ms 1500]

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '12' },
    ms: { type: 'string', default: '1500' },
    ends: { type: 'boolean', default: false },
  },
});

if (values.ends) {
  // The child: a TLS and a TCP source streaming 64 KiB writes, a TLS and a TCP sink discarding.
  const { createServer: tcp } = await import('node:net');
  const { createServer: tls } = await import('node:tls');
  const key = readFileSync(process.env.KEY);
  const cert = readFileSync(process.env.CERT);
  const chunk = Buffer.alloc(65536, 7);
  const source = (s) => {
    const pump = () => {
      while (s.write(chunk));
    };
    s.on('drain', pump);
    s.on('error', () => undefined);
    pump();
  };
  const sink = (s) => {
    s.resume();
    s.on('error', () => undefined);
  };
  const servers = {
    tlsSource: tls({ key, cert }, source),
    tcpSource: tcp(source),
    tlsSink: tls({ key, cert }, sink),
    tcpSink: tcp(sink),
  };
  for (const s of Object.values(servers)) await new Promise((r) => s.listen(0, '127.0.0.1', r));
  console.log(
    JSON.stringify(Object.fromEntries(Object.entries(servers).map(([k, s]) => [k, s.address().port]))),
  );
} else {
  /** One write per event-loop turn; pauses `from` while 256 KiB wait for `to`. */
  const relay = (from, to) => {
    let corked = false;
    const flush = () => {
      corked = false;
      to.uncork();
    };
    from.on('data', (chunk) => {
      if (!corked) {
        corked = true;
        to.cork();
        setImmediate(flush);
      }
      to.write(chunk);
      if (to.writableLength >= 256 * 1024) from.pause();
    });
    to.on('drain', () => from.resume());
  };
  const dir = mkdtempSync(join(tmpdir(), 'porthole-relay-'));
  execFileSync(
    'openssl',
    [
      ...[
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
      ],
      ...['-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')],
    ],
    { stdio: 'ignore' },
  );
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--ends'], {
    env: { ...process.env, KEY: join(dir, 'k.pem'), CERT: join(dir, 'c.pem') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise((r) => child.stdout.once('data', (d) => r(JSON.parse(d))));
  const open = (kind, port) =>
    new Promise((resolve) => {
      const s =
        kind === 'tls'
          ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(s))
          : netConnect(port, '127.0.0.1', () => resolve(s));
    });
  const cases = {
    'tls → tcp': [() => open('tls', ports.tlsSource), () => open('tcp', ports.tcpSink)],
    'tcp → tls': [() => open('tcp', ports.tcpSource), () => open('tls', ports.tlsSink)],
  };
  const ways = { pipe: (a, b) => a.pipe(b), relay: (a, b) => relay(a, b) };
  const results = {};
  for (const [name, [from, to]] of Object.entries(cases)) {
    for (let i = 0; i < Number(values.runs); i++) {
      for (const [way, connect] of Object.entries(ways)) {
        const a = await from();
        const b = await to();
        const c0 = process.cpuUsage();
        const w0 = b.bytesWritten;
        connect(a, b);
        await new Promise((r) => setTimeout(r, Number(values.ms)));
        const c = process.cpuUsage(c0);
        const bytes = b.bytesWritten - w0;
        a.destroy();
        b.destroy();
        // The first runs warm the JIT up.
        if (i < 2) continue;
        results[name] ??= { pipe: [], relay: [] };
        results[name][way].push((c.user + c.system) / 1e6 / (bytes / 1e9));
      }
    }
  }
  const median = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  for (const [name, ways] of Object.entries(results)) {
    const p = median(ways.pipe);
    const r = median(ways.relay);
    console.log(
      `${name}: pipe ${p.toFixed(2)} CPU-s/GB, relay ${r.toFixed(2)} CPU-s/GB (${((r / p - 1) * 100).toFixed(0)}%)`,
    );
  }
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}
