import type { ImageView, SessionEvent } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bannerOnly,
  CHECKIN_SECONDS,
  ControlPlane,
  containerOf,
  containersOf,
  docker,
  events,
  launch,
  rfbBanner,
  SMALL,
  session,
  sleep,
  type TestAgent,
  type TestUser,
  until,
  waitState,
} from './support.js';

/**
 * Faults with a running session on a real agent: the server restarts (same database, same port)
 * and the session carries on untouched; the agent dies, so the agent goes offline and the session
 * lost within three check-in intervals, and both come back, same container, when it returns.
 */
let plane: ControlPlane;
let agent: TestAgent;
let firefox: ImageView;
let user: TestUser;
let sessionId = '';
let containerId = '';
let startedAt = '';

beforeAll(async () => {
  plane = await ControlPlane.start('restarts');
  firefox = await plane.patchImage((await plane.image('firefox')).id, SMALL);
  agent = await plane.agent('restarts');
  await agent.waitReady();
  user = await plane.user('survivor');
  const r = await launch(user.api, firefox.id);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  sessionId = r.body.id;
  await waitState(user.api, sessionId, 'running', 90_000);
  const c = await containerOf(sessionId);
  containerId = c.Id;
  startedAt = c.State.StartedAt;
});

afterAll(async () => {
  await plane?.close();
});

/** The same container, never restarted, and no second one. */
async function sameContainer(): Promise<void> {
  expect(await containersOf(sessionId)).toHaveLength(1);
  const c = await containerOf(sessionId);
  expect(c.Id).toBe(containerId);
  expect(c.State).toMatchObject({ Running: true, StartedAt: startedAt });
}

const statesAfter = (list: SessionEvent[], n: number) => list.slice(n).map((e) => e.state);

describe('a server restart', () => {
  it('keeps a running session running and streaming, with nothing re-created', async () => {
    expect(await rfbBanner(user.api, sessionId)).toBe('RFB 003.008\n');
    const eventsBefore = (await events(user.api, sessionId)).length;
    const url = plane.url;

    await plane.stopServer();
    // Down for longer than three check-in intervals: the agent notices and backs off.
    await sleep(4 * CHECKIN_SECONDS * 1000);
    await plane.startServer();
    expect(plane.url).toBe(url);

    // Right away, while the agent is still backing off, and for a few check-ins after it is back,
    // the session is running: polled all along, and no state change recorded.
    const seen = new Set<string>();
    let backAt = 0;
    const until6sAfterBack = async () => {
      seen.add((await session(user.api, sessionId)).state);
      if (!backAt && (await agent.view()).lastCheckinAgeSeconds === 0) backAt = Date.now();
      return backAt > 0 && Date.now() - backAt > 6 * CHECKIN_SECONDS * 1000;
    };
    await until('the agent to check in with the new server for a while', until6sAfterBack, 60_000, 100);
    expect([...seen]).toEqual(['running']);
    expect(statesAfter(await events(user.api, sessionId), eventsBefore)).toEqual([]);
    expect((await agent.view()).status).toBe('online');
    await sameContainer();

    // The stream answers through the new server's proxy, with the cookie from before the restart.
    expect(await rfbBanner(user.api, sessionId)).toBe('RFB 003.008\n');
  });
});

describe('an agent that dies', () => {
  it('is offline with its session lost within three check-ins, gets no new session, and both return', async () => {
    const eventsBefore = (await events(user.api, sessionId)).length;
    await agent.stop();
    const lastCheckin = Date.parse((await agent.view()).lastCheckinAt ?? '');

    await until(
      'the agent to be offline',
      async () => (await agent.view()).status === 'offline',
      15_000,
      100,
    );
    const lost = await waitState(user.api, sessionId, 'lost', 15_000);
    const lostAt = Date.parse(lost.updatedAt);
    // Three missed check-ins after the last one, plus the health loop's period (1 s) and slack
    // for this shared machine.
    expect(lostAt - lastCheckin).toBeGreaterThanOrEqual(3 * CHECKIN_SECONDS * 1000);
    expect(lostAt - lastCheckin).toBeLessThan((3 * CHECKIN_SECONDS + 3) * 1000);
    expect(lost.stateReason).toBe('agent offline');

    // No new session goes to an offline agent.
    const other = await plane.user('newcomer');
    const refused = await launch(other.api, firefox.id);
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain(`${agent.name}: offline`);
    // The container itself lives on without its agent.
    await sameContainer();

    await agent.start();
    await until('the agent to be online', async () => (await agent.view()).status === 'online', 30_000);
    const back = await waitState(user.api, sessionId, 'running', 30_000);
    expect(back.stateReason).toBe('container is running on the agent');
    expect(statesAfter(await events(user.api, sessionId), eventsBefore)).toEqual(['lost', 'running']);
    await sameContainer();
    expect(await rfbBanner(user.api, sessionId)).toBe('RFB 003.008\n');
  });
});

describe('a workspace whose VNC server does not answer yet', () => {
  it('is not taken for ready by the agent, whose probe waits it out and leaves it streaming', async () => {
    const c = await containerOf(sessionId);
    const port = Number(c.NetworkSettings.Ports['6901/tcp']?.[0]?.HostPort);
    const password = c.Config.Env.find((e) => e.startsWith('VNC_PW='))?.slice('VNC_PW='.length) ?? '';
    // Connections that leave right after the banner, far past TigerVNC's default blacklist
    // threshold (5 per address; all of websockify's come from 127.0.0.1): the images turn the
    // blacklist off, so nobody is refused afterwards (no RFB 3.3 "Too many security failures").
    for (let i = 0; i < 10; i += 1) expect(await bannerOnly(port, password)).toBe('RFB 003.008\n');
    expect(await rfbBanner(user.api, sessionId)).toBe('RFB 003.008\n');

    // Xvnc stopped (SIGSTOP): websockify still accepts and connects, but no banner comes, as
    // while a loaded workspace is still starting. The readiness check the server makes after
    // every start, straight on the agent API, must wait for the banner rather than the socket.
    await signalXvnc(c.Id, 'STOP');
    const resumed = sleep(4_000).then(() => signalXvnc(c.Id, 'CONT'));
    try {
      const grant = plane.server.services.grants.issue(
        { aud: agent.id, sid: sessionId, act: 'control' },
        120,
      );
      const t0 = Date.now();
      const res = await fetch(
        new URL(`/v1/sessions/${sessionId}/ready?timeoutMs=60000`, agent.running?.url),
        { headers: { authorization: `Bearer ${grant}` } },
      );
      expect(res.status, await res.text()).toBe(200);
      expect(Date.now() - t0).toBeGreaterThan(3_000);
    } finally {
      await resumed;
    }
    expect(await rfbBanner(user.api, sessionId)).toBe('RFB 003.008\n');
  });
});

/** Sends a signal to the workspace's Xvnc (same uid as the exec, so no privileges needed). */
async function signalXvnc(containerId: string, signal: 'STOP' | 'CONT'): Promise<void> {
  const script = `for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = Xvnc ] && kill -${signal} "\${d#/proc/}"; done; true`;
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['sh', '-c', script], AttachStdout: true });
  const stream = await exec.start({});
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
    stream.resume();
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`signalling Xvnc (${signal}) exited with ${ExitCode}`);
}
