// The image contract (images/README.md), checked against the real images on the local Docker
// Engine. Build them first: `node packages/cli/bin/porthole.js images build` (scripts/test-images.sh).
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RfbClient } from './support/rfb.js';
import {
  basicAuth,
  createWorkspace,
  docker,
  exec,
  imageNames,
  imagePresent,
  imageRef,
  logs,
  probe,
  RFB_BANNER,
  removeContainer,
  startWorkspace,
  type Workspace,
  waitForBanner,
  waitForExit,
} from './support/workspace.js';

const shmBytes = 512 * 1024 * 1024;

for (const name of imageNames) {
  const ref = imageRef(name);

  describe(`${name} image`, () => {
    let ws: Workspace | undefined;
    const started = (): Workspace => {
      if (!ws) throw new Error('workspace did not start');
      return ws;
    };

    beforeAll(async () => {
      if (!(await imagePresent(ref))) {
        throw new Error(`${ref} is missing: run 'node packages/cli/bin/porthole.js images build'`);
      }
      ws = await startWorkspace(ref, { shmBytes, env: { KASM_URL: 'about:license' } });
      await waitForBanner(ws.port, ws.password);
    });

    afterAll(async () => {
      await removeContainer(ws?.container);
    });

    it('answers the RFB banner on wss://…/websockify with kasm_user:$VNC_PW', async () => {
      const { port, password } = started();
      const result = await probe(port, basicAuth('kasm_user', password));
      expect(result).toEqual({ kind: 'banner', banner: RFB_BANNER });
    });

    it('refuses the WebSocket with 401 without credentials or with wrong ones', async () => {
      const { port, password } = started();
      expect(await probe(port)).toEqual({ kind: 'status', status: 401 });
      expect(await probe(port, basicAuth('kasm_user', `${password}x`))).toEqual({
        kind: 'status',
        status: 401,
      });
      expect(await probe(port, basicAuth('someone', password))).toEqual({ kind: 'status', status: 401 });
    });

    it('serves the web client at / over HTTPS, behind the same basic auth', async () => {
      const { port, password } = started();
      const get = (path: string, auth?: string) =>
        fetchInsecure(`https://127.0.0.1:${port}${path}`, auth ? { Authorization: auth } : {});
      expect((await get('/')).status).toBe(401);
      const index = await get('/', basicAuth('kasm_user', password));
      expect(index.status).toBe(200);
      expect(index.body).toContain('vnc.html');
      const client = await get('/vnc.html', basicAuth('kasm_user', password));
      expect(client.status).toBe(200);
      expect(client.body).toContain('noVNC');
    });

    it('runs as uid 1000 kasm-user with DISPLAY=:1 and the contract home folders', async () => {
      const { container } = started();
      expect((await exec(container, ['id', '-u'])).output.trim()).toBe('1000');
      expect((await exec(container, ['id', '-un'])).output.trim()).toBe('kasm-user');
      const dirs = ['Desktop', 'Downloads', 'Uploads'].map((d) => `/home/kasm-user/${d}`);
      for (const dir of dirs) expect((await exec(container, ['test', '-d', dir])).code, dir).toBe(0);
      const env = (await exec(container, ['env'])).output;
      expect(env).toContain('HOME=/home/kasm-user');
      expect(env).toContain('DISPLAY=:1');
      const info = await container.inspect();
      expect(info.Config.User).toBe('1000');
    });

    it('keeps Xvnc on loopback: only websockify listens beyond it', async () => {
      const { container } = started();
      const listening = listeners((await exec(container, ['cat', '/proc/net/tcp', '/proc/net/tcp6'])).output);
      expect(listening).toContainEqual({ address: '127.0.0.1', port: 5901 });
      const exposed = listening.filter((l) => l.address !== '127.0.0.1' && l.address !== '::1');
      expect(exposed.map((l) => l.port)).toEqual([6901]);
    });

    it('carries the catalogue labels', async () => {
      const labels = (await docker.getImage(ref).inspect()).Config.Labels ?? {};
      expect(labels['com.kasmweb.image']).toBe('true');
      expect(labels['io.porthole.image']).toBe(name);
      expect(labels['io.porthole.friendly-name']).toBeTruthy();
      expect(labels['io.porthole.description']).toBeTruthy();
      expect(labels['io.porthole.categories']?.split(',').length).toBeGreaterThan(0);
      expect(labels['io.porthole.icon']).toMatch(/^data:image\/svg\+xml;base64,/);
      expect(labels['io.porthole.inputs-hash']).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('starts at VNC_RESOLUTION (default 1280x800) and accepts a resize from the client', async () => {
      const { port, password } = started();
      const rfb = await RfbClient.connect(port, password);
      try {
        expect([rfb.width, rfb.height]).toEqual([1280, 800]);
        rfb.setEncodings();
        rfb.requestUpdate(false);
        const current = await rfb.readDesktopSize();
        const screens = current.screens ?? [];
        expect(screens.length).toBeGreaterThan(0);
        rfb.setDesktopSize(1024, 640, screens);
        rfb.requestUpdate(true);
        // x = 1 marks the answer to this client's request; y = 0 says it succeeded.
        const resized = await rfb.readDesktopSize((r) => r.x === 1);
        expect({ status: resized.y, w: resized.width, h: resized.height }).toEqual({
          status: 0,
          w: 1024,
          h: 640,
        });
      } finally {
        rfb.close();
      }
    });

    it('stops cleanly on SIGTERM within 5 s', async () => {
      const { container } = started();
      const t0 = Date.now();
      await container.stop({ t: 10 });
      const took = Date.now() - t0;
      expect(took).toBeLessThan(5_000);
      expect((await container.inspect()).State.ExitCode).toBe(0);
    });
  });
}

describe('image start-up checks', () => {
  const containers: Dockerode.Container[] = [];
  afterAll(async () => {
    await Promise.all(containers.map((c) => removeContainer(c)));
  });

  it('refuses to start without VNC_PW, saying why', async () => {
    const { container } = await createWorkspace(imageRef('desktop'));
    containers.push(container);
    await container.start();
    expect(await waitForExit(container, 10_000)).not.toBe(0);
    expect(await logs(container)).toMatch(/VNC_PW is not set/);
  });

  it('honours VNC_RESOLUTION', async () => {
    const ws = await startWorkspace(imageRef('desktop'), { env: { VNC_RESOLUTION: '1024x768' } });
    containers.push(ws.container);
    await waitForBanner(ws.port, ws.password);
    const rfb = await RfbClient.connect(ws.port, ws.password);
    rfb.close();
    expect([rfb.width, rfb.height]).toEqual([1024, 768]);
  });

  it('firefox opens KASM_URL and comes back when the user closes it', async () => {
    const ws = await startWorkspace(imageRef('firefox'), { shmBytes, env: { KASM_URL: 'about:license' } });
    containers.push(ws.container);
    await waitForBanner(ws.port, ws.password);
    const first = await waitFor(async () => firefoxPid(ws.container), 20_000);
    const cmdline = (await exec(ws.container, ['cat', `/proc/${first}/cmdline`])).output.split('\0');
    expect(cmdline).toContain('about:license');
    // What closing the last window amounts to: the browser process exits.
    await exec(ws.container, ['kill', String(first)]);
    const second = await waitFor(async () => {
      const pid = await firefoxPid(ws.container);
      return pid && pid !== first ? pid : undefined;
    }, 20_000);
    expect(second).not.toBe(first);
  });
});

// The oldest process named firefox-esr is the browser's main process (content processes have
// their own names).
async function firefoxPid(container: Dockerode.Container): Promise<string | undefined> {
  const { code, output } = await exec(container, ['pgrep', '-o', '-x', 'firefox-esr']);
  return code === 0 ? output.trim() : undefined;
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

function listeners(procNetTcp: string): { address: string; port: number }[] {
  const out: { address: string; port: number }[] = [];
  for (const line of procNetTcp.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (cols[3] !== '0A' || !local) continue; // 0A = LISTEN
    const [hex, portHex] = local.split(':');
    if (!hex || !portHex) continue;
    const port = Number.parseInt(portHex, 16);
    let address: string;
    if (hex.length === 8) {
      const bytes = hex.match(/../g) ?? [];
      address = bytes
        .reverse()
        .map((b) => Number.parseInt(b, 16))
        .join('.');
    } else {
      address = /^0+$/.test(hex) ? '::' : hex === '00000000000000000000000001000000' ? '::1' : hex;
    }
    out.push({ address, port });
  }
  return out;
}

async function fetchInsecure(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = https.get(url, { headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}
