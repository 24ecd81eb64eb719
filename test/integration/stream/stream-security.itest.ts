import { request as httpsRequest } from 'node:https';
import type { SessionView } from '@porthole/contracts';
import { GrantSigner } from '@porthole/stream';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../../support/http.js';
import { query } from '../support/database.js';
import { startNginx, type TestNginx } from './nginx.js';
import {
  get,
  openStream,
  PATH_NAMES,
  type PathName,
  rawUpgrade,
  type StreamPath,
  streamPaths,
} from './paths.js';
import { RfbClient, UpgradeRefused } from './rfb.js';
import { containerOf, drained, firefoxImagePresent, type StreamStack, startStreamStack } from './stack.js';

/**
 * Who may open a session's stream, through each proxy, for HTTP and for the WebSocket upgrade;
 * what the agent accepts when asked directly; and where the VNC password and ports can be seen.
 */
const haveImage = await firefoxImagePresent();
const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });

let stack: StreamStack;
let nginx: TestNginx;
let paths: Record<PathName, StreamPath>;
/** The owner's session, and the stranger's. */
let mine: SessionView;
let theirs: SessionView;
/** Strings that must never reach a browser: each VNC_PW and its basic-auth header form. */
const secrets: string[] = [];
/** A cookie that was valid until its sign-in session was ended. */
let loggedOut: string;

beforeAll(async () => {
  if (!haveImage) return;
  stack = await startStreamStack('security');
  try {
    nginx = await startNginx(stack.t.server.url, stack.nginxPort);
    paths = streamPaths(stack, nginx);
    [mine, theirs] = await Promise.all([stack.launch(stack.owner), stack.launch(stack.stranger)]);
    for (const s of [mine, theirs]) {
      const info = await docker.getContainer(await containerOf(s.id)).inspect();
      const pw = info.Config.Env.find((e) => e.startsWith('VNC_PW='))?.slice('VNC_PW='.length);
      if (!pw || pw.length < 8) throw new Error('the container has no VNC_PW');
      secrets.push(pw, Buffer.from(`kasm_user:${pw}`).toString('base64'));
    }
    const old = await stack.signIn(stack.owner.username);
    loggedOut = old.cookie ?? '';
    expect((await old.post('/api/auth/logout')).status).toBe(204);
  } catch (err) {
    await nginx?.stop();
    await stack.stop();
    throw err;
  }
});
// A test that failed midway must not leave a stream open for the next one to trip over.
afterEach(() => RfbClient.closeAll());
afterAll(async () => {
  await nginx?.stop();
  await stack?.stop();
});

function expectNoSecret(where: string, text: string): void {
  for (const secret of secrets) expect(text.includes(secret), `${where} leaks a VNC credential`).toBe(false);
}

/** The status of an answer, or 0 when the peer reset the connection instead. */
async function orReset(reply: Promise<{ status: number }>): Promise<number> {
  try {
    return (await reply).status;
  } catch (err) {
    if (err instanceof Error && /socket hang up|ECONNRESET|EPIPE/.test(err.message)) return 0;
    throw err;
  }
}

/** Status of a WebSocket upgrade refused by the proxy (101 fails the test). */
async function refusedStatus(
  path: StreamPath,
  sessionId: string,
  cookie: string | undefined,
): Promise<number> {
  try {
    const rfb = await openStream(path, sessionId, cookie);
    await rfb.close();
    return 101;
  } catch (err) {
    if (err instanceof UpgradeRefused) return err.status;
    throw err;
  }
}

describe.skipIf(!haveImage).each(PATH_NAMES)('through %s', (name) => {
  let path: StreamPath;
  /** What "someone else's session" looks like: hidden (404) by the embedded proxy; nginx's auth_request can only say 403. */
  let hidden: number;
  beforeAll(() => {
    path = paths[name];
    path.use();
    hidden = name === 'nginx' ? 403 : 404;
  });

  it('refuses a browser without a cookie, with a stranger’s cookie or a signed-out cookie', async () => {
    const target = `/session/${mine.id}/`;
    expect((await get(path, target, undefined)).status).toBe(401);
    expect(await refusedStatus(path, mine.id, undefined)).toBe(401);
    expect((await get(path, target, stack.stranger.browser.cookie)).status).toBe(hidden);
    expect(await refusedStatus(path, mine.id, stack.stranger.browser.cookie)).toBe(hidden);
    expect((await get(path, target, loggedOut)).status).toBe(401);
    expect(await refusedStatus(path, mine.id, loggedOut)).toBe(401);
    expect((await get(path, target, 'not-a-session-token')).status).toBe(401);
    expect(await refusedStatus(path, mine.id, 'not-a-session-token')).toBe(401);
    // And a cookie for the right person still gets in.
    expect(await refusedStatus(path, mine.id, stack.owner.browser.cookie)).toBe(101);
  });

  it('never lets path tricks reach another session', async () => {
    const a = mine.id;
    const b = theirs.id;
    const tricks = [
      `/session/${b}/../${a}/websockify`,
      `/session/${b}/%2e%2e/${a}/websockify`,
      `/session/${b}/%2E%2E%2F${a}/websockify`,
      `/session/${b}/..%2F${a}/websockify`,
      `/session/${b}%2F..%2F${a}/websockify`,
      `/session/${b}/..%5C${a}/websockify`,
      `/session/${b}/.%2e/${a}/websockify`,
      `/session//${a}/websockify`,
      `/session/${b}//../../session/${a}/websockify`,
      `//session/${a}/websockify`,
      `/session/${a.toUpperCase()}/websockify`,
      `/session/./${a}/websockify`,
      `/session/${a}`,
    ];
    await drained(stack);
    const refusedBefore = stack.agent.gateway.stats().refused;
    // The web app's own page: what a path that is no session path at all may fall back to.
    const app = await get(path, '/', undefined);
    // The stranger owns b and may see nothing of a.
    const cookie = stack.stranger.browser.cookie;
    for (const trick of tricks) {
      const up = await rawUpgrade(path.origin, trick, { cookie, ...(path.ca ? { ca: path.ca } : {}) });
      expect(up.status, `upgrade ${trick}`).toBeGreaterThanOrEqual(400);
      const page = await get(path, trick, cookie);
      if (page.status < 400) expect(page.text, `GET ${trick} is the web app, not a session`).toBe(app.text);
      expectNoSecret(`GET ${trick}`, page.text);
    }
    // Refused before any agent saw them.
    expect(stack.agent.gateway.stats()).toMatchObject({ activeStreams: 0, refused: refusedBefore });
    // The owner's upper-case spelling is the same session, not a way around anything.
    expect(
      (
        await rawUpgrade(path.origin, `/session/${a.toUpperCase()}/websockify`, {
          cookie: stack.owner.browser.cookie,
          ...(path.ca ? { ca: path.ca } : {}),
        })
      ).status,
    ).toBe(101);
  });

  it('refuses oversized headers before they reach an agent', async () => {
    await drained(stack);
    const refusedBefore = stack.agent.gateway.stats().refused;
    const big = { 'x-padding': 'a'.repeat(17 * 1024) };
    const cookie = stack.owner.browser.cookie;
    const ca = path.ca ? { ca: path.ca } : {};
    const target = `/session/${mine.id}/websockify`;
    // 431 from Node, 400 from nginx; or the connection reset while the client was still writing.
    const tooLarge = [0, 400, 431, 494];
    expect(tooLarge).toContain(
      await orReset(rawUpgrade(path.origin, target, { cookie, headers: big, ...ca })),
    );
    expect(tooLarge).toContain(await orReset(get(path, `/session/${mine.id}/`, cookie, big)));
    // A huge cookie as well (the one header a browser grows by itself).
    const hugeCookie = `${cookie}; filler=${'b'.repeat(17 * 1024)}`;
    expect(tooLarge).toContain(await orReset(get(path, `/session/${mine.id}/`, hugeCookie)));
    expect(tooLarge).toContain(await orReset(rawUpgrade(path.origin, target, { cookie: hugeCookie, ...ca })));
    // None of it reached the agent.
    expect(stack.agent.gateway.stats()).toMatchObject({ activeStreams: 0, refused: refusedBefore });
  });

  it('shows the VNC password in no response a browser can read', async () => {
    const owner = stack.owner.browser;
    const admin = stack.admin.browser;
    const replies = [
      await owner.get('/api/sessions'),
      await owner.get(`/api/sessions/${mine.id}`),
      await admin.get('/api/admin/sessions'),
      await admin.get(`/api/admin/sessions/${mine.id}`),
      await http(`${stack.t.server.url}/api/internal/session-auth`, {
        headers: {
          cookie: `porthole_session=${owner.cookie}`,
          'x-original-uri': `/session/${mine.id}/websockify`,
        },
      }),
      await get(path, `/session/${mine.id}/`, owner.cookie),
      await get(path, `/session/${mine.id}/vnc.html`, owner.cookie),
    ];
    for (const r of replies) {
      expect(r.status).toBeLessThan(500);
      expectNoSecret('a response', `${JSON.stringify(r.headers)}\n${r.text}`);
    }
    for (const who of [owner.cookie, stack.otherAdmin.browser.cookie]) {
      const rfb = await openStream(path, mine.id, who);
      expectNoSecret('upgrade headers', JSON.stringify(rfb.upgradeHeaders));
      const init = await rfb.handshake();
      rfb.setRawEncoding();
      rfb.requestUpdate(false, init.width, Math.min(init.height, 8));
      await rfb.readRawUpdate();
      expectNoSecret('the stream', rfb.received().toString('latin1'));
      await rfb.close();
    }
  });
});

describe.skipIf(!haveImage)('behind nginx', () => {
  it('never passes /metrics on: the server sees every request nginx relays as coming from loopback', async () => {
    const through = await http(`${nginx.url}/metrics`, { ca: nginx.ca });
    expect(through.status).toBe(404);
    expect(through.text).not.toContain('porthole_');
    // Asked directly from this machine, the server answers.
    expect((await http(`${stack.t.server.url}/metrics`)).status).toBe(200);
  });

  it('the server sees the address nginx saw, not one the browser claims', async () => {
    // The browser connects from 127.0.0.2 (not a trusted proxy) and claims to be 192.0.2.77.
    const body = JSON.stringify({ username: stack.owner.username, password: 'stream-password-123' });
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${nginx.url}/api/auth/login`);
      const req = httpsRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          ca: nginx.ca,
          localAddress: '127.0.0.2',
          headers: {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'x-forwarded-for': '192.0.2.77',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    const [latest] = await query<{ address: string | null }>(
      stack.t.database.url,
      'select address from auth_sessions where user_id = $1 order by created_at desc limit 1',
      [stack.owner.userId],
    );
    expect(latest?.address).toBe('127.0.0.2');
  });
});

describe.skipIf(!haveImage)('the agent, asked directly', () => {
  async function statuses(grant: string | undefined, sessionId = mine.id): Promise<number[]> {
    const headers: Record<string, string> = grant ? { 'x-porthole-grant': grant } : {};
    const page = await http(`${stack.agent.url}/session/${sessionId}/`, { headers });
    const up = await rawUpgrade(stack.agent.url, `/session/${sessionId}/websockify`, { headers });
    return [page.status, up.status];
  }

  it('refuses missing, forged, expired, misdirected and other-session grants', async () => {
    const signer = stack.t.server.services.grants;
    const agentId = stack.agent.agentId;
    const now = Math.floor(Date.now() / 1000);
    const valid = {
      aud: agentId,
      sid: mine.id,
      act: 'stream' as const,
      role: 'owner' as const,
      exp: now + 30,
    };
    const forger = new GrantSigner(GrantSigner.generatePrivateKeyPem());
    const body = (token: string) => token.slice(0, token.indexOf('.'));
    const sig = (token: string) => token.slice(token.indexOf('.') + 1);
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not-a-grant',
      forged: forger.sign(valid),
      expired: signer.sign({ ...valid, exp: now - 5 }),
      'other session': signer.sign({ ...valid, sid: theirs.id }),
      'other agent': signer.sign({ ...valid, aud: '00000000-0000-4000-8000-000000000000' }),
      'other action': signer.sign({ ...valid, act: 'control' }),
      // A genuine payload with someone else's signature, and a tampered payload with a genuine one.
      'swapped signature': `${body(signer.sign(valid))}.${sig(forger.sign(valid))}`,
      tampered: `${body(signer.sign({ ...valid, sid: theirs.id }))}.${sig(signer.sign(valid))}`,
    };
    for (const [what, grant] of Object.entries(cases)) {
      expect(await statuses(grant), what).toEqual([401, 401]);
    }
    // The real thing opens, so the refusals above are about the grant alone.
    expect((await statuses(signer.sign(valid)))[1]).toBe(101);
  });

  it('publishes container ports on 127.0.0.1 only', async () => {
    for (const s of [mine, theirs]) {
      const info = await docker.getContainer(await containerOf(s.id)).inspect();
      const portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = info.HostConfig
        .PortBindings ?? {};
      const bindings = Object.values(portBindings).flat();
      expect(bindings.length).toBeGreaterThan(0);
      for (const b of bindings) expect(b.HostIp).toBe('127.0.0.1');
      const published = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((p) => p ?? []);
      expect(published.length).toBeGreaterThan(0);
      for (const p of published) expect(p.HostIp).toBe('127.0.0.1');
    }
  });
});
