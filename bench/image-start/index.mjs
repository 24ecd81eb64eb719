#!/usr/bin/env node
// Workspace image start-up benchmark: for each image, the time from container create+start to the
// RFB banner answering on wss://127.0.0.1:<port>/websockify (the readiness signal the agent polls),
// over N runs; for the images in --paint (default firefox) also to the first framebuffer update and
// the first paint of the app (see paint.mjs). Prints a table and writes bench/results/image-start.json.
//
//   node bench/image-start/index.mjs [--runs 10] [--paint firefox] [image…]
//
// Needs the images built (`node packages/cli/bin/porthole.js images build`) and the Docker socket.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import WebSocket from 'ws';
import { waitForPaint } from './paint.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '10' },
    out: { type: 'string', default: 'bench/results/image-start.json' },
    paint: { type: 'string', default: 'firefox' },
  },
});
const runs = Number(values.runs);
const images = positionals.length > 0 ? positionals : ['desktop', 'desktop-deluxe', 'firefox'];
const paintImages = new Set(values.paint.split(',').filter(Boolean));
const docker = new Dockerode();

/** One WebSocket attempt; resolves with the first message text, or undefined when refused/closed. */
function probe(port, password) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/websockify`, {
      rejectUnauthorized: false,
      headers: { Authorization: `Basic ${Buffer.from(`kasm_user:${password}`).toString('base64')}` },
    });
    const done = (value) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), 2_000);
    ws.on('message', (data) => done(data.toString('latin1')));
    ws.on('unexpected-response', () => done(undefined));
    ws.on('error', () => done(undefined));
    ws.on('close', () => done(undefined));
  });
}

async function oneRun(ref, paint) {
  const password = randomBytes(18).toString('base64url');
  const t0 = performance.now();
  const container = await docker.createContainer({
    Image: ref,
    Env: [`VNC_PW=${password}`],
    Labels: { 'io.porthole.bench': 'image-start' },
    ExposedPorts: { '6901/tcp': {} },
    HostConfig: {
      PortBindings: { '6901/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] },
      ShmSize: 512 * 1024 * 1024,
    },
  });
  try {
    const created = performance.now();
    await container.start();
    const started = performance.now();
    const port = Number((await container.inspect()).NetworkSettings.Ports['6901/tcp']?.[0]?.HostPort);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const banner = await probe(port, password);
      if (banner === 'RFB 003.008\n') break;
      if (Date.now() > deadline) throw new Error(`${ref}: no RFB banner within 60 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const ready = performance.now();
    // A run whose app never painted (or whose viewer was dropped) is reported, not fatal.
    const painted = paint
      ? await waitForPaint({ port, password }).catch((err) => ({ error: err.message }))
      : undefined;
    if (painted?.error) process.stderr.write(`${ref}: no first paint: ${painted.error}\n`);
    return {
      totalMs: ready - t0,
      createMs: created - t0,
      startMs: started - created,
      bannerMs: ready - started,
      ...(painted && !painted.error
        ? { firstUpdateMs: painted.firstUpdateAt - t0, paintMs: painted.paintAt - t0 }
        : {}),
      ...(painted?.error ? { paintError: painted.error } : {}),
    };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1] };
};
const round = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));

// Runs are interleaved (one of each image per round) so a change in the host's load, which on a
// shared machine is the largest source of noise, weighs on every image alike.
const samplesOf = new Map(images.map((name) => [name, []]));
for (const name of images) await oneRun(`porthole/${name}:latest`, paintImages.has(name)); // warm-up
for (let i = 0; i < runs; i++) {
  for (const name of images)
    samplesOf.get(name).push(await oneRun(`porthole/${name}:latest`, paintImages.has(name)));
  process.stderr.write(`round ${i + 1}/${runs} done\n`);
}

const results = [];
for (const name of images) {
  const ref = `porthole/${name}:latest`;
  const info = await docker.getImage(ref).inspect();
  const paint = paintImages.has(name);
  const samples = samplesOf.get(name);
  results.push({
    image: ref,
    imageId: info.Id,
    sizeBytes: info.Size,
    runs,
    totalMs: round(stats(samples.map((s) => s.totalMs))),
    createMs: round(stats(samples.map((s) => s.createMs))),
    startMs: round(stats(samples.map((s) => s.startMs))),
    startToBannerMs: round(stats(samples.map((s) => s.bannerMs))),
    ...(paint
      ? {
          totalToFirstUpdateMs: round(
            stats(samples.filter((s) => !s.paintError).map((s) => s.firstUpdateMs)),
          ),
          totalToPaintMs: round(stats(samples.filter((s) => !s.paintError).map((s) => s.paintMs))),
          paintFailures: samples.filter((s) => s.paintError).length,
        }
      : {}),
    samples: samples.map(({ paintError, ...s }) => ({ ...round(s), ...(paintError ? { paintError } : {}) })),
  });
}

const pad = (v, n) => String(v).padStart(n);
console.log(`\nImage start to RFB banner (create+start → banner), ${runs} runs each, ms`);
console.log(
  `${'image'.padEnd(28)}${pad('min', 7)}${pad('median', 8)}${pad('max', 7)}  ${'start→banner med'.padStart(16)}  size`,
);
for (const r of results) {
  console.log(
    `${r.image.padEnd(28)}${pad(r.totalMs.min, 7)}${pad(r.totalMs.median, 8)}${pad(r.totalMs.max, 7)}  ` +
      `${pad(r.startToBannerMs.median, 16)}  ${(r.sizeBytes / 1e6).toFixed(0)} MB`,
  );
}
const painted = results.filter((r) => r.totalToPaintMs);
if (painted.length > 0) {
  console.log(`\nCreate+start → first framebuffer update / first paint of the app, ms (min / median / max)`);
  for (const r of painted) {
    const f = (s) => `${s.min} / ${s.median} / ${s.max}`;
    const failed = r.paintFailures > 0 ? `   (${r.paintFailures} without a paint)` : '';
    console.log(
      `${r.image.padEnd(28)}update ${f(r.totalToFirstUpdateMs)}   paint ${f(r.totalToPaintMs)}${failed}`,
    );
  }
}

const out = {
  benchmark: 'image-start',
  at: new Date().toISOString(),
  host: { cpus: cpus().length, loadavg: loadavg() },
  results,
};
await mkdir(dirname(values.out), { recursive: true });
await writeFile(values.out, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote ${values.out}`);
