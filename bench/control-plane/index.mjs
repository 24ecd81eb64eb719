// Control-plane bench: N fake agents (HTTP, no containers) checking in against a real
// `porthole server`, plus M launches placed on them. Prints a table, writes JSON.
//   node bench/control-plane/index.mjs [--agents 10,100,1000] [--seconds 10] [--sessions 100]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPorthole } from '../lib/porthole-process.mjs';
import { cpuSeconds, memoryKb, percentile, table } from '../lib/proc.mjs';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '10,100,1000' },
    seconds: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '100' },
  },
});
const sizes = values.agents.split(',').map(Number);
const seconds = Number(values.seconds);
const sessionCount = Number(values.sessions);
const ADMIN_PASSWORD = 'bench-admin-password';
const IMAGE = 'porthole/firefox:latest';

// One fake agent API answers for every fake agent: create and ready succeed at once.
const containers = new Map();
const fakeAgent = createServer((req, res) => {
  const m = /^\/v1\/sessions(?:\/([^/?]+))?(?:\/(\w+))?/.exec(req.url ?? '');
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST' && m && !m[1]) {
      const { sessionId } = JSON.parse(body);
      containers.set(sessionId, 'running');
      res.statusCode = 201;
      return res.end(
        JSON.stringify({ sessionId, containerId: `c${sessionId}`, state: 'running', hostPort: 1 }),
      );
    }
    if (m?.[2] === 'ready') return res.end(JSON.stringify({ readyMs: 1 }));
    if (req.method === 'DELETE') {
      containers.delete(m?.[1]);
      res.statusCode = 204;
      return res.end();
    }
    res.end(JSON.stringify({ sessionId: m?.[1], containerId: 'c', state: 'running', hostPort: 1 }));
  });
});
await new Promise((r) => fakeAgent.listen(0, '127.0.0.1', r));
const fakeUrl = `http://127.0.0.1:${fakeAgent.address().port}`;

async function json(url, init = {}) {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status} ${text}`);
  return { body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const results = [];
for (const n of sizes) {
  const dataDir = mkdtempSync(join(tmpdir(), 'porthole-bench-cp-'));
  const server = await startPorthole('server', ['--insecure-http', '--port', '0', '--data-dir', dataDir], {
    PORTHOLE_ADMIN_PASSWORD: ADMIN_PASSWORD,
  });
  try {
    const base = server.url;
    const login = await json(`${base}/api/auth/login`, {
      method: 'POST',
      body: JSON.stringify({ username: 'admin@porthole.local', password: ADMIN_PASSWORD }),
    });
    const cookie = login.headers.get('set-cookie').split(';')[0];
    const { body: tok } = await json(`${base}/api/admin/agents/registration-token`, { headers: { cookie } });
    const agents = [];
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, j) =>
          json(`${base}/api/agent/register`, {
            method: 'POST',
            body: JSON.stringify({
              token: tok.token,
              name: `bench-${n}-${i + j}`,
              url: fakeUrl,
              version: 'bench',
            }),
          }).then((r) => r.body),
        ),
      );
      agents.push(...batch);
    }
    const payload = (agentId) => ({
      version: 'bench',
      resources: {
        cores: 64,
        memoryBytes: 256 * 2 ** 30,
        memoryFreeBytes: 200 * 2 ** 30,
        diskFreeBytes: 1e12,
        load1: 0.5,
        dockerVersion: 'bench',
      },
      sessions: [...containers.keys()]
        .filter((id) => sessionAgent.get(id) === agentId)
        .map((sessionId) => ({ sessionId, containerId: `c${sessionId}`, state: 'running', hostPort: 1 })),
      images: [
        { ref: IMAGE, state: 'present' },
        { ref: 'porthole/desktop:latest', state: 'present' },
        { ref: 'porthole/desktop-deluxe:latest', state: 'present' },
      ],
    });
    const sessionAgent = new Map();
    const checkin = async (a) => {
      const t = performance.now();
      await json(`${base}/api/agent/checkin`, {
        method: 'POST',
        headers: { authorization: `Agent ${a.agentId}:${a.secret}` },
        body: JSON.stringify(payload(a.agentId)),
      });
      return performance.now() - t;
    };
    await Promise.all(agents.map((a) => checkin(a))); // all online

    // Launches: a user with a high session limit; on-demand first, then from a staging pool.
    const { body: groups } = await json(`${base}/api/admin/groups`, { headers: { cookie } });
    const allUsers = groups.items.find((g) => g.systemRole === 'all_users');
    await json(`${base}/api/admin/groups/${allUsers.id}`, {
      method: 'PATCH',
      headers: { cookie },
      body: JSON.stringify({ settings: { ...allUsers.settings, max_sessions_per_user: 1000 } }),
    });
    const { body: images } = await json(`${base}/api/admin/images`, { headers: { cookie } });
    const firefox = images.items.find((i) => i.dockerImage === IMAGE);
    const launchOnce = async () => {
      const t = performance.now();
      const { body: s } = await json(`${base}/api/sessions`, {
        method: 'POST',
        headers: { cookie },
        body: JSON.stringify({ imageId: firefox.id }),
      });
      let v = s;
      while (v.state !== 'running') {
        if (v.state === 'error') throw new Error(v.stateReason);
        await new Promise((r) => setTimeout(r, 5));
        v = (await json(`${base}/api/sessions/${s.id}`, { headers: { cookie } })).body;
      }
      sessionAgent.set(s.id, v.agentId);
      return performance.now() - t;
    };
    const onDemand = [];
    for (let i = 0; i < sessionCount; i += 10)
      onDemand.push(
        ...(await Promise.all(Array.from({ length: Math.min(10, sessionCount - i) }, launchOnce))),
      );

    // Check-in load: closed loop, 32 in flight, each agent in turn.
    const server0 = { cpu: cpuSeconds(server.child.pid) };
    const lat = [];
    let next = 0;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: Math.min(32, n) }, async () => {
        while (performance.now() < deadline) lat.push(await checkin(agents[next++ % agents.length]));
      }),
    );
    const cpu = cpuSeconds(server.child.pid) - server0.cpu;
    lat.sort((a, b) => a - b);

    // Staged: a pool in the default zone sized for the launches, filled, then drawn from.
    const { body: zones } = await json(`${base}/api/admin/zones`, { headers: { cookie } });
    const zone = zones.items.find((z) => z.isDefault);
    const staged = [];
    const poolSize = Math.min(20, sessionCount);
    await json(`${base}/api/admin/staging`, {
      method: 'POST',
      headers: { cookie },
      body: JSON.stringify({ zoneId: zone.id, imageId: firefox.id, desiredCount: poolSize }),
    });
    for (let round = 0; round < 3; round += 1) {
      for (;;) {
        const { body: pools } = await json(`${base}/api/admin/staging`, { headers: { cookie } });
        if (pools.items[0].readyCount >= poolSize) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      for (let i = 0; i < poolSize / 2; i += 1) staged.push(await launchOnce());
    }
    onDemand.sort((a, b) => a - b);
    staged.sort((a, b) => a - b);
    const mem = memoryKb(server.child.pid);
    results.push({
      agents: n,
      'checkins/s': Math.round(lat.length / seconds),
      'needed/s@5s': Math.round(n / 5),
      'p50 ms': percentile(lat, 50).toFixed(1),
      'p99 ms': percentile(lat, 99).toFixed(1),
      'cpu ms/checkin': ((cpu * 1000) / lat.length).toFixed(2),
      'rss MB': Math.round(mem.rssKb / 1024),
      'peak MB': Math.round(mem.peakKb / 1024),
      'launch p50 ms': percentile(onDemand, 50).toFixed(0),
      'launch p95 ms': percentile(onDemand, 95).toFixed(0),
      'staged p50 ms': percentile(staged, 50).toFixed(0),
      'staged p95 ms': percentile(staged, 95).toFixed(0),
    });
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    containers.clear();
  }
}
fakeAgent.close();
console.log(table(results));
const out = new URL('../results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL('control-plane.json', out),
  JSON.stringify({ at: new Date().toISOString(), seconds, sessions: sessionCount, results }, null, 2),
);
console.log(`\nwrote bench/results/control-plane.json`);
