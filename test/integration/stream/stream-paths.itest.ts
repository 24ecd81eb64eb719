import type { SessionView } from '@porthole/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DesktopProbe } from './desktop.js';
import { startNginx, type TestNginx } from './nginx.js';
import { get, openStream, PATH_NAMES, type PathName, type StreamPath, streamPaths } from './paths.js';
import { RfbClient } from './rfb.js';
import {
  containerOf,
  drained,
  firefoxImagePresent,
  type StreamStack,
  startStreamStack,
  until,
} from './stack.js';

/**
 * The stream end to end on real Docker, through each way a browser reaches a session: the
 * embedded proxy to a separate agent over HTTP, the embedded proxy handing sockets to an
 * in-process agent (`porthole up`, one hop), and Debian's nginx with auth_request.
 */
const haveImage = await firefoxImagePresent();
const SHIFT_L = 0xffe1;

let stack: StreamStack;
let nginx: TestNginx;
let paths: Record<PathName, StreamPath>;
let session: SessionView;
let desktop: DesktopProbe;

beforeAll(async () => {
  if (!haveImage) return;
  stack = await startStreamStack('paths');
  try {
    nginx = await startNginx(stack.t.server.url, stack.nginxPort);
    paths = streamPaths(stack, nginx);
    session = await stack.launch(stack.owner);
    desktop = DesktopProbe.open(await containerOf(session.id));
  } catch (err) {
    await nginx?.stop();
    await stack.stop();
    throw err;
  }
});
// A test that failed midway must not leave a stream open for the next one to trip over.
afterEach(() => RfbClient.closeAll());
afterAll(async () => {
  desktop?.close();
  await nginx?.stop();
  await stack?.stop();
});

async function connected(path: StreamPath, cookie: string | undefined): Promise<RfbClient> {
  const rfb = await openStream(path, session.id, cookie);
  const init = await rfb.handshake();
  expect(init.banner).toBe('RFB 003.008\n');
  return rfb;
}

/** Bytes relayed so far by the server's hops (its /metrics) and by the agent's gateway (its own). */
async function relayed(): Promise<Record<'embedded-proxy' | 'local-gateway' | 'agent', number>> {
  const value = (text: string, series: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${series} `))
        ?.slice(series.length + 1) ?? 0,
    );
  const server = await stack.t.server.services.metrics.render();
  const agent = await stack.agent.metrics.render();
  return {
    'embedded-proxy': value(server, 'porthole_stream_bytes_total{path="embedded-proxy"}'),
    'local-gateway': value(server, 'porthole_stream_bytes_total{path="local-gateway"}'),
    agent: value(agent, 'porthole_agent_stream_bytes_total'),
  };
}

/** The server hop each path meters its bytes on (nginx relays straight to the agent). */
const SERVER_HOP: Record<PathName, 'embedded-proxy' | 'local-gateway' | null> = {
  separate: 'embedded-proxy',
  'one-hop': 'local-gateway',
  nginx: null,
};

describe.skipIf(!haveImage).each(PATH_NAMES)('the stream through %s', (name) => {
  let path: StreamPath;
  beforeAll(() => {
    path = paths[name];
    path.use();
  });

  it('lets the owner complete the RFB handshake and receive a framebuffer update', async () => {
    const startedAt = Date.now();
    const before = await relayed();
    const rfb = await openStream(path, session.id, stack.owner.browser.cookie);
    expect(rfb.upgradeHeaders['sec-websocket-protocol']).toBe('binary');
    const init = await rfb.handshake();
    expect(init.banner).toBe('RFB 003.008\n');
    expect(init.securityTypes).toContain(1);
    expect({ width: init.width, height: init.height }).toEqual({ width: 1280, height: 800 });
    expect(init.name).toBe('firefox');
    rfb.setRawEncoding();
    rfb.requestUpdate(false, init.width, init.height);
    const rects = await rfb.readRawUpdate();
    expect(rects.length).toBeGreaterThan(0);
    expect(rects.reduce((sum, r) => sum + r.w * r.h, 0)).toBeGreaterThan(0);
    expect(stack.agent.gateway.stats().activeStreams).toBe(1);
    await rfb.close();
    // Closing the browser's side closes the relay on every hop.
    await drained(stack);

    // Metered where it went: a framebuffer is far more than 100 kB.
    const after = await relayed();
    expect(after.agent - before.agent).toBeGreaterThan(100_000);
    for (const hop of ['embedded-proxy', 'local-gateway'] as const) {
      if (hop === SERVER_HOP[name]) expect(after[hop] - before[hop], hop).toBeGreaterThan(100_000);
      else expect(after[hop], hop).toBe(before[hop]);
    }

    // The bytes that flowed reach /api/sessions/:id through the agent's next check-in.
    const seen = await until(
      'lastActivityAt to move',
      async () => {
        const s = (await stack.owner.browser.get(`/api/sessions/${session.id}`)).json<SessionView>();
        return s.lastActivityAt && Date.parse(s.lastActivityAt) >= startedAt - 1000
          ? s.lastActivityAt
          : undefined;
      },
      15_000,
    );
    expect(Date.parse(seen)).toBeLessThanOrEqual(Date.now());
  });

  it("serves the image's own web client over HTTP, without its credentials or cookies", async () => {
    const page = await get(path, `/session/${session.id}/`, stack.owner.browser.cookie);
    expect(page.status).toBe(200);
    expect(page.text.toLowerCase()).toContain('<html');
    expect(page.headers['www-authenticate']).toBeUndefined();
    expect(page.headers['set-cookie']).toBeUndefined();
  });

  it("drops a viewer's keyboard and pointer input before the desktop; the owner's arrives", async () => {
    const owner = await connected(path, stack.owner.browser.cookie);
    const viewer = await connected(path, stack.otherAdmin.browser.cookie);
    const before = await desktop.state();
    const droppedBefore = stack.agent.gateway.stats().droppedInputMessages;
    const target = { x: before.x === 211 ? 317 : 211, y: before.y === 133 ? 251 : 133 };

    viewer.pointerEvent(0, target.x, target.y);
    viewer.keyEvent(true, SHIFT_L);
    viewer.pointerEvent(1, target.x + 5, target.y + 5);
    // An update requested after the input, on the same ordered stream: once it arrives, the
    // container has processed everything the viewer sent before it.
    viewer.setRawEncoding();
    viewer.requestUpdate(false, 64, 64);
    expect((await viewer.readRawUpdate()).length).toBeGreaterThan(0);
    expect(await desktop.state()).toEqual(before);
    expect(stack.agent.gateway.stats().droppedInputMessages - droppedBefore).toBe(3);

    owner.pointerEvent(0, target.x, target.y);
    owner.keyEvent(true, SHIFT_L);
    const moved = await until(
      'the owner’s input to reach the desktop',
      async () => {
        const s = await desktop.state();
        return s.x === target.x && s.y === target.y && s.keysDown.length > 0 ? s : undefined;
      },
      10_000,
    );
    expect(moved.keysDown.length).toBe(1);
    owner.keyEvent(false, SHIFT_L);
    await until('Shift to be released', async () =>
      (await desktop.state()).keysDown.length === 0 ? true : undefined,
    );
    await viewer.close();
    await owner.close();
    await drained(stack);
  });
});

// Last: it ends the session the tests above share.
describe.skipIf(!haveImage)('when the session goes away', () => {
  it('closes the browser side of every open stream', async () => {
    paths.separate.use();
    const rfb = await openStream(paths.separate, session.id, stack.owner.browser.cookie);
    await rfb.handshake();
    const viewer = await openStream(paths.nginx, session.id, stack.otherAdmin.browser.cookie);
    await viewer.handshake();
    const r = await stack.owner.browser.request('DELETE', `/api/sessions/${session.id}`);
    expect(r.status).toBe(204);
    await until(
      'both streams to close',
      async () => (rfb.closed && viewer.closed ? true : undefined),
      20_000,
    );
    await drained(stack);
  });
});
