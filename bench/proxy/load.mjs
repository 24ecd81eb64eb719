// Load for the proxy bench: WebSocket echo streams, round trips and connects against one target.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** Opens the target's echo WebSocket; resolves once open. */
export function open(target) {
  const ws = new WebSocket(target.url, ['binary'], {
    headers: target.headers(),
    ...(target.ca ? { ca: target.ca } : {}),
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
  });
  ws.binaryType = 'nodebuffer';
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`${target.name}: HTTP ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

function closeAll(sockets) {
  return Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', resolve);
          ws.close();
          setTimeout(() => ws.terminate(), 2000).unref();
        }),
    ),
  );
}

/**
 * `streams` connections, each keeping `inFlight` messages of `size` bytes in flight for `seconds`.
 * The rate counts what came back during the last `measureSeconds` of the window (steady state);
 * `echoed` is everything sent and echoed, in-flight messages included, for CPU per byte.
 */
export async function throughput(target, { streams, inFlight, size, seconds, measureSeconds = seconds }) {
  const sockets = await Promise.all(Array.from({ length: streams }, () => open(target)));
  const payload = Buffer.alloc(size, 0x5a);
  let received = 0;
  let stop = false;
  const done = sockets.map(
    (ws) =>
      new Promise((resolve, reject) => {
        let outstanding = 0;
        ws.on('message', (data) => {
          received += data.length;
          outstanding -= 1;
          if (!stop) {
            ws.send(payload);
            outstanding += 1;
          } else if (outstanding === 0) resolve();
        });
        ws.once('close', () => (stop ? resolve() : reject(new Error(`${target.name}: stream closed`))));
        for (let i = 0; i < inFlight; i++) {
          ws.send(payload);
          outstanding += 1;
        }
      }),
  );
  await new Promise((r) => setTimeout(r, (seconds - measureSeconds) * 1000));
  const from = received;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, measureSeconds * 1000));
  const rate = (received - from) / ((performance.now() - started) / 1000);
  stop = true;
  await Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, 60_000))]);
  const echoed = received;
  await closeAll(sockets);
  return { bytesPerSecond: rate, echoed };
}

/** `count` sequential round trips of `size` bytes on one connection; latencies in microseconds. */
export async function roundTrips(target, { count, size, warmup = 100 }) {
  const ws = await open(target);
  const payload = Buffer.alloc(size, 0x61);
  const samples = [];
  for (let i = 0; i < warmup + count; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => {
      ws.once('message', resolve);
      ws.send(payload);
    });
    if (i >= warmup) samples.push((performance.now() - t0) * 1000);
  }
  await closeAll([ws]);
  return samples.sort((a, b) => a - b);
}

/** Opens and closes connections (TLS, upgrade, authorization) with `concurrency` workers for `seconds`. */
export async function connects(target, { seconds, concurrency }) {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  let failures = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        const ws = await open(target);
        count += 1;
        await closeAll([ws]);
      } catch {
        failures += 1;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { perSecond: count / ((performance.now() - started) / 1000), failures };
}
