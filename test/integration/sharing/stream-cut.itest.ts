import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { promisify } from 'node:util';
import type { RunningAgent } from '@porthole/agent';
import type { JoinedSession, ShareView } from '@porthole/contracts';
import { GrantSigner } from '@porthole/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query, type TestDatabase } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { TempDirs } from '../support/temp.js';
import { launchRealSession, removeSessionContainers, startTestAgent } from './real-session.js';
import { RfbProbe } from './rfb.js';
import { call, expectStatus, People, type Person, signIn } from './support.js';

const run = promisify(execFile);
// The light RFB image (Xvnc + websockify, same image contract) when this machine has it.
const LITE_IMAGE = 'porthole/test-rfb-lite:latest';
const FIREFOX_IMAGE = process.env.PORTHOLE_TEST_FIREFOX_IMAGE ?? 'porthole/firefox:latest';
/** A loopback URL nothing listens on (connections are refused). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** How soon after the owner's DELETE answers an open stream must be gone. */
const CUT_WITHIN_MS = 1_000;

async function sessionImage(): Promise<string> {
  if (process.env.PORTHOLE_TEST_STREAM_IMAGE) return process.env.PORTHOLE_TEST_STREAM_IMAGE;
  try {
    await run('docker', ['image', 'inspect', LITE_IMAGE]);
    return LITE_IMAGE;
  } catch {
    return FIREFOX_IMAGE;
  }
}

/**
 * Revoke and kick against streams already open (docs/sharing.md): the server asks the session's
 * agent to close them, the gateway closes them with 4001, and the owner's stream goes on. Once
 * through the embedded proxy and the agent over HTTP, once through the one-hop hand-off of
 * `porthole up` (the proxy gives the socket to an in-process gateway).
 */
describe('revoke and kick close streams already open', () => {
  const temps = new TempDirs();
  let db: TestDatabase;
  let a: TestServer;
  let agent: RunningAgent | undefined;
  let A: string;
  let people: People;
  let owner: Person;
  let v1: Person;
  let v2: Person;
  let sessionId: string;
  let sharers: string;
  const probes: RfbProbe[] = [];
  let shareId = '';

  const stream = async (who: Person) => {
    const p = await RfbProbe.open(A, sessionId, who);
    probes.push(p);
    expect(await p.banner()).toMatch(/^RFB 003\.00\d\n$/);
    await p.handshake();
    return p;
  };
  const share = async () => {
    shareId = expectStatus(
      await call(A, owner, 'POST', `/api/sessions/${sessionId}/share`),
      200,
      'share',
    ).json<ShareView>().shareId;
    const roles: string[] = [];
    for (const who of [v1, v2])
      roles.push(
        expectStatus(
          await call(A, who, 'POST', `/api/shares/${shareId}/join`),
          200,
          'join',
        ).json<JoinedSession>().role,
      );
    return roles;
  };
  /** The owner's group: sharing on, full control (joiners are collaborators) or not (viewers). */
  const fullControl = (full: boolean) =>
    call(A, people.admin, 'PATCH', `/api/admin/groups/${sharers}`, {
      settings: { allow_sharing: true, shared_session_full_control: full },
    });
  /** Runs the DELETE; returns when its 204 came back. */
  const remove = async (path: string) => {
    expect((await call(A, owner, 'DELETE', path)).status).toBe(204);
    return Date.now();
  };
  const expectCut = async (p: RfbProbe, answeredAt: number) => {
    const closed = await p.whenClosed(10_000);
    expect(closed?.code).toBe(4001);
    expect((closed?.at ?? Number.POSITIVE_INFINITY) - answeredAt).toBeLessThan(CUT_WITHIN_MS);
  };

  beforeAll(async () => {
    db = await createTestDatabase('sharing_stream_cut');
    a = await startTestServer({ checkinSeconds: 1, trustedProxies: ['127.0.0.1'] }, db);
    A = a.server.url;
    people = await People.on(A);
    agent = await startTestAgent(A, people, temps, 'stream-cut');
    sharers = await people.group('sharers', { allow_sharing: true });
    [owner, v1, v2] = await Promise.all([
      people.user('owner', [sharers]),
      people.user('v1'),
      people.user('v2'),
    ]);
    sessionId = await launchRealSession(A, people, {
      agentId: agent.agentId,
      ref: await sessionImage(),
      groupIds: [sharers],
      owner,
      memoryMb: 1024,
    });
  });

  afterAll(async () => {
    for (const p of probes) p.close();
    a?.server.services.proxy.setLocalGateway(undefined);
    if (sessionId)
      await call(A, people.admin, 'DELETE', `/api/admin/sessions/${sessionId}`).catch(() => undefined);
    await agent?.close();
    if (sessionId) await removeSessionContainers(sessionId);
    await a?.stop();
    await db?.drop();
    await temps.cleanup();
  });

  describe.each([
    ['through the embedded proxy and the agent over HTTP', false],
    ['through the one-hop hand-off to an in-process gateway', true],
  ])('%s', (_path, oneHop) => {
    beforeAll(() => {
      const gateway = agent?.gateway;
      if (!oneHop || !gateway || !agent) return;
      // What `porthole up` does (packages/cli/src/commands/up.ts).
      a.server.services.proxy.setLocalGateway({
        agentId: agent.agentId,
        relayUpgrade: (req, socket, head, grant) => gateway.relayUpgrade(req, socket, head, grant),
        handleRequest: (req, res, grant) => gateway.handleRequest(req, res, grant),
      });
    });

    it('turning sharing off closes every viewer’s open stream; the owner’s keeps updating', async () => {
      await share();
      const own = await stream(owner);
      const [s1, s2] = await Promise.all([stream(v1), stream(v2)]);
      expect(await own.update()).toBeGreaterThan(0);
      expect(await s1.update()).toBeGreaterThan(0);

      const answeredAt = await remove(`/api/sessions/${sessionId}/share`);
      await Promise.all([expectCut(s1, answeredAt), expectCut(s2, answeredAt)]);
      expect(own.closed).toBe(false);
      for (let i = 0; i < 3; i++) expect(await own.update()).toBeGreaterThan(0);
      // The agent holds nothing but the owner's stream once the cut sockets (and those of the
      // previous tests) have finished closing, which a loaded machine can take a moment to do.
      await expect
        .poll(() => agent?.gateway.openStreams(sessionId), { timeout: 8_000, interval: 100 })
        .toBe(1);
      own.close();
    });

    it('a kick closes that participant’s open stream only', async () => {
      await share();
      const own = await stream(owner);
      const [s1, s2] = await Promise.all([stream(v1), stream(v2)]);

      const answeredAt = await remove(`/api/sessions/${sessionId}/participants/${v1.userId}`);
      await expectCut(s1, answeredAt);
      expect(await s2.update()).toBeGreaterThan(0);
      expect(await own.update()).toBeGreaterThan(0);
      expect(s2.closed).toBe(false);
      expect(own.closed).toBe(false);
      await expect(RfbProbe.open(A, sessionId, v1)).rejects.toThrow(/refused with 404/);

      await remove(`/api/sessions/${sessionId}/share`);
      await expectCut(s2, Date.now());
      own.close();
    });

    it('a kicked collaborator is closed with 4001 while a full-screen update is on its way', async () => {
      // Joiners of an owner whose group grants full control are collaborators: a raw pipe.
      expectStatus(await fullControl(true), 200, 'full control on');
      try {
        expect(await share()).toEqual(['collaborator', 'collaborator']);
        const own = await stream(owner);
        const collaborator = await stream(v1);
        // Megabytes of raw pixels in flight (many WebSocket frames) when the kick lands.
        const inFlight = collaborator.update(4096).catch((err: unknown) => err);
        const answeredAt = await remove(`/api/sessions/${sessionId}/participants/${v1.userId}`);
        await expectCut(collaborator, answeredAt);
        await inFlight;
        expect(await own.update()).toBeGreaterThan(0);
        await remove(`/api/sessions/${sessionId}/share`);
        own.close();
      } finally {
        expectStatus(await fullControl(false), 200, 'full control off');
      }
    });

    it('a collaborator who joins again as a viewer has the old pipe closed with 4003; the new stream is a viewer’s', async () => {
      expectStatus(await fullControl(true), 200, 'full control on');
      try {
        expect(await share()).toEqual(['collaborator', 'collaborator']);
        const own = await stream(owner);
        const collaborator = await stream(v1);
        const other = await stream(v2);
        expectStatus(await fullControl(false), 200, 'full control off');
        // Joining again (another tab, a reload of the link) is when the role is decided anew.
        const rejoined = expectStatus(
          await call(A, v1, 'POST', `/api/shares/${shareId}/join`),
          200,
          'rejoin',
        );
        const answeredAt = Date.now();
        expect(rejoined.json<JoinedSession>().role).toBe('viewer');
        const closed = await collaborator.whenClosed(10_000);
        expect(closed?.code).toBe(4003);
        expect((closed?.at ?? Number.POSITIVE_INFINITY) - answeredAt).toBeLessThan(CUT_WITHIN_MS);
        // v2 did not join again: still a collaborator, still streaming; the owner too.
        expect(await other.update()).toBeGreaterThan(0);
        expect(await own.update()).toBeGreaterThan(0);
        // The page reconnects at once and is given a viewer's relay this time.
        const viewersBefore = agent?.gateway.stats().viewerStreams ?? 0;
        const again = await stream(v1);
        expect(await again.update()).toBeGreaterThan(0);
        expect(agent?.gateway.stats().viewerStreams).toBe(viewersBefore + 1);
        await remove(`/api/sessions/${sessionId}/share`);
        own.close();
      } finally {
        expectStatus(await fullControl(false), 200, 'full control off');
      }
    });

    it('signing out closes the streams that sign-in opened, and only those', async () => {
      // The owner on two browsers: signing out on the laptop leaves the phone streaming.
      const laptop = await signIn(A, owner.username);
      const phone = await signIn(A, owner.username);
      const onLaptop = await stream(laptop);
      const onPhone = await stream(phone);
      expectStatus(await call(A, laptop, 'POST', '/api/auth/logout'), 204, 'logout');
      const answeredAt = Date.now();
      // An owner's pipe follows no frames, so it is reset (1006) rather than closed with 4003:
      // either way the page reconnects, is refused and shows the sign-in page.
      const closed = await onLaptop.whenClosed(10_000);
      expect(closed).toBeDefined();
      expect((closed?.at ?? Number.POSITIVE_INFINITY) - answeredAt).toBeLessThan(CUT_WITHIN_MS);
      expect(await onPhone.update()).toBeGreaterThan(0);
      expect(onPhone.closed).toBe(false);
      await expect(RfbProbe.open(A, sessionId, laptop)).rejects.toThrow(/refused with 401/);
      expectStatus(await call(A, phone, 'POST', '/api/auth/logout'), 204, 'logout');
      expect((await onPhone.whenClosed(10_000))?.at).toBeDefined();
    });

    it('a password change closes the streams of the sign-ins it revoked (4003), nobody else’s', async () => {
      const v3 = await people.user('v3');
      await share();
      expectStatus(await call(A, v3, 'POST', `/api/shares/${shareId}/join`), 200, 'join');
      const own = await stream(owner);
      const other = await stream(v1);
      const watched = await stream(v3);
      expectStatus(
        await call(A, people.admin, 'PATCH', `/api/admin/users/${v3.userId}`, {
          password: 'a-new-password-456',
        }),
        200,
        'password change',
      );
      const answeredAt = Date.now();
      const closed = await watched.whenClosed(10_000);
      expect(closed?.code).toBe(4003);
      expect((closed?.at ?? Number.POSITIVE_INFINITY) - answeredAt).toBeLessThan(CUT_WITHIN_MS);
      expect(await other.update()).toBeGreaterThan(0);
      expect(await own.update()).toBeGreaterThan(0);
      await remove(`/api/sessions/${sessionId}/share`);
      own.close();
    });
  });

  it('the disconnect endpoint refuses a forged grant, a stream grant and another session’s grant (401)', async () => {
    await share();
    const own = await stream(owner);
    const viewer = await stream(v1);
    const agentId = agent?.agentId ?? '';
    const real = a.server.services.grants;
    const forger = new GrantSigner(GrantSigner.generatePrivateKeyPem());
    const grants = {
      forged: forger.issue({ aud: agentId, sid: sessionId, act: 'control' }, 60),
      'another session': real.issue({ aud: agentId, sid: randomUUID(), act: 'control' }, 60),
      'a stream grant': real.issue({ aud: agentId, sid: sessionId, act: 'stream', role: 'owner' }, 60),
      'another agent': real.issue({ aud: randomUUID(), sid: sessionId, act: 'control' }, 60),
    };
    for (const [what, grant] of Object.entries(grants)) {
      const res = await fetch(new URL(`/v1/sessions/${sessionId}/disconnect`, agent?.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${grant}`, 'content-type': 'application/json' },
        body: JSON.stringify({ allExceptOwner: true }),
      });
      expect(res.status, what).toBe(401);
    }
    expect(await viewer.update()).toBeGreaterThan(0);
    expect(viewer.closed).toBe(false);
    expect(own.closed).toBe(false);
    viewer.close();
    own.close();
  });

  // The streams open first; then the agent's row points at a closed port, which cuts only the
  // server's calls to the agent (open streams are relayed already, check-ins go the other way).
  it('an agent the server cannot reach gets a kick with its next check-in; its streams close then', async () => {
    await share();
    const own = await stream(owner);
    const [kicked, stays] = await Promise.all([stream(v1), stream(v2)]);
    const agentId = agent?.agentId ?? '';
    const [row] = await query<{ url: string }>(db.url, 'select url from agents where id = $1', [agentId]);
    const url = row?.url ?? '';
    await query(db.url, 'update agents set url = $2 where id = $1', [agentId, await closedPortUrl()]);
    try {
      const answeredAt = await remove(`/api/sessions/${sessionId}/participants/${v1.userId}`);
      // The check-in runs every second here.
      const closed = await kicked.whenClosed(10_000);
      expect(closed?.code).toBe(4001);
      expect((closed?.at ?? Number.POSITIVE_INFINITY) - answeredAt).toBeLessThan(5_000);
      expect(await stays.update()).toBeGreaterThan(0);
      expect(await own.update()).toBeGreaterThan(0);
      // The agent confirms it with the check-in after, and the server forgets it.
      await expect
        .poll(async () => (await query(db.url, 'select id from pending_disconnects')).length, {
          timeout: 10_000,
          interval: 200,
        })
        .toBe(0);
    } finally {
      await query(db.url, 'update agents set url = $2 where id = $1', [agentId, url]);
    }
    await remove(`/api/sessions/${sessionId}/share`);
    await expectCut(stays, Date.now());
    own.close();
  });

  // Last: the owner and v1 stay barred afterwards.
  it('locking a participant and disabling the owner close the streams they hold; the session goes on', async () => {
    await share();
    const own = await stream(owner);
    const locked = await stream(v1);
    const other = await stream(v2);
    const bar = async (who: Person, patch: { locked?: boolean; disabled?: boolean }) => {
      expectStatus(await call(A, people.admin, 'PATCH', `/api/admin/users/${who.userId}`, patch), 200, 'bar');
      return Date.now();
    };

    await expectCut(locked, await bar(v1, { locked: true }));
    expect(await other.update()).toBeGreaterThan(0);
    expect(own.closed).toBe(false);
    // Their sign-in went with the lock: a new stream is refused.
    await expect(RfbProbe.open(A, sessionId, v1)).rejects.toThrow(/refused with 401/);

    // Nobody cuts an owner's pipe with a close code (only a collaborator's relay follows frames);
    // it is closed all the same.
    const answeredAt = await bar(owner, { disabled: true });
    const closed = await own.whenClosed(10_000);
    expect(closed).not.toBeNull();
    expect((closed?.at ?? Number.POSITIVE_INFINITY) - answeredAt).toBeLessThan(CUT_WITHIN_MS);
    expect(await other.update()).toBeGreaterThan(0);
    expect(other.closed).toBe(false);
    const row = expectStatus(
      await call(A, people.admin, 'GET', `/api/admin/sessions/${sessionId}`),
      200,
      'session',
    ).json<{ state: string }>();
    expect(row.state).toBe('running');
    other.close();
  });
});
