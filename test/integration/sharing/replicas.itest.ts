import type { RunningAgent } from '@porthole/agent';
import type { JoinedSession, SessionView, ShareView } from '@porthole/contracts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortholeProcess } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { TempDirs } from '../support/temp.js';
import { launchRealSession, removeSessionContainers, startTestAgent } from './real-session.js';
import { RfbProbe } from './rfb.js';
import {
  ChatClient,
  type ChatMessage,
  call,
  expectStatus,
  insertRunningSession,
  People,
  type Person,
  RedisProcess,
  redisHistory,
  refusedStatus,
  streamAuth,
  until,
} from './support.js';

const FIREFOX_IMAGE = process.env.PORTHOLE_TEST_FIREFOX_IMAGE ?? 'porthole/firefox:latest';

/**
 * Issue 8 end to end on the server side: replica A is `startServer` in this process, replica B is
 * `porthole server` as a child process, both on one Postgres database and one redis-server of
 * this file's own. The owner's session is a real firefox container launched through a real
 * agent, so the stream can be checked while Redis is down and after a share is revoked.
 */
describe('sharing across two replicas on one Redis, with a real session', () => {
  const temps = new TempDirs();
  let redis: RedisProcess;
  let keys: Redis;
  let db: TestDatabase;
  let a: TestServer;
  let bProc: PortholeProcess | undefined;
  let agent: RunningAgent | undefined;
  let A: string;
  let B: string;
  let people: People;
  let owner: Person;
  let v1: Person;
  let v2: Person;
  let v3: Person;
  let late: Person;
  let stranger: Person;
  let sessionId: string;
  let shareId: string;
  const sockets: ChatClient[] = [];
  const open = async (base: string, who: Person) => {
    const c = await ChatClient.joined(base, sessionId, who);
    sockets.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await RedisProcess.start();
    keys = redis.client();
    db = await createTestDatabase('sharing_replicas');
    a = await startTestServer({ redisUrl: redis.url, checkinSeconds: 1, trustedProxies: ['127.0.0.1'] }, db);
    A = a.server.url;
    const startB = PortholeProcess.start([
      'server',
      '--insecure-http',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      await temps.make('porthole-replica-b-'),
      '--database-url',
      db.url,
      '--redis-url',
      redis.url,
    ]);
    people = await People.on(A);
    agent = await startTestAgent(A, people, temps, 'sharing');
    const sharers = await people.group('sharers', { allow_sharing: true });
    [owner, v1, v2, v3, late, stranger] = await Promise.all([
      people.user('owner', [sharers]),
      people.user('v1'),
      people.user('v2'),
      people.user('v3'),
      people.user('late'),
      people.user('stranger'),
    ]);
    sessionId = await launchRealSession(A, people, {
      agentId: agent.agentId,
      ref: FIREFOX_IMAGE,
      groupIds: [sharers],
      owner,
      memoryMb: 1536,
    });
    const b = await startB;
    bProc = b.proc;
    B = b.url;
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    if (sessionId)
      await call(A, people.admin, 'DELETE', `/api/admin/sessions/${sessionId}`).catch(() => undefined);
    await agent?.close();
    if (sessionId) await removeSessionContainers(sessionId);
    await bProc?.kill('SIGTERM');
    await a?.stop();
    keys?.disconnect();
    await db?.drop();
    await redis?.kill();
    await temps.cleanup();
  });

  it('the owner shares on A; joiners on A and B join as viewers and may stream as viewers', async () => {
    const shared = expectStatus(
      await call(A, owner, 'POST', `/api/sessions/${sessionId}/share`),
      200,
      'share',
    ).json<ShareView>();
    shareId = shared.shareId;
    expect(shared.url).toBe(`${A}/join/${shareId}`);
    for (const [base, who] of [
      [A, v1],
      [B, v2],
      [B, v3],
    ] as const) {
      const joined = expectStatus(
        await call(base, who, 'POST', `/api/shares/${shareId}/join`),
        200,
        'join',
      ).json<JoinedSession>();
      expect(joined.role).toBe('viewer');
      expect(joined.session.id).toBe(sessionId);
      expect(joined.session.state).toBe('running');
    }
    expect(await streamAuth(B, v2, sessionId)).toEqual({ status: 200, role: 'viewer' });
    expect(await streamAuth(A, owner, sessionId)).toEqual({ status: 200, role: 'owner' });
    expect((await streamAuth(B, stranger, sessionId)).status).toBe(403);
    expect(await refusedStatus(B, sessionId, stranger)).toBe(404);
  });

  it('chat flows both ways between replicas, every socket sees one global order', async () => {
    const ownerA = await open(A, owner);
    const v1A = await open(A, v1);
    const v2B = await open(B, v2);
    const v3B = await open(B, v3);
    const all = [ownerA, v1A, v2B, v3B];
    const names = [owner, v1, v2, v3].map((p) => p.username);
    for (const c of all) await c.presenceIs(names);
    // 20 quickly from each replica. One user may send 10 per 10 s, so each side is two people.
    // Rounds of four concurrent sends (two per replica) racing each other; each round waits until
    // its messages are back, so the replicas' messages interleave however loaded the machine is.
    for (let i = 0; i < 10; i++) {
      for (const c of all) c.send(`${c.who.username.split('-')[0]}#${i}`);
      await until(`round ${i}`, () => (ownerA.live('message').length >= 4 * (i + 1) ? true : undefined));
    }
    const seen = await Promise.all(
      all.map((c) =>
        until(`40 messages at ${c.who.username}`, () => {
          const got = c.live('message');
          return got.length >= 40 ? got : undefined;
        }),
      ),
    );
    const ids = (ms: ChatMessage[]) => ms.map((m) => m.id);
    // The order Redis recorded is the publish order; each socket saw exactly that.
    const published = (await redisHistory(keys, sessionId)).filter((m) => m.kind === 'message');
    expect(published).toHaveLength(40);
    for (const s of seen) expect(ids(s)).toEqual(ids(published));
    // Both directions: each side's messages reached the other replica…
    const texts = published.map((m) => m.text);
    for (const who of ['owner', 'v1', 'v2', 'v3']) {
      const mine = texts.filter((t) => t.startsWith(`${who}#`));
      // …and each sender's own messages stay in the order they were sent.
      expect(mine).toEqual(Array.from({ length: 10 }, (_, i) => `${who}#${i}`));
    }
    // The sends really interleaved across the replicas (not one side then the other).
    const sides = texts.map((t) => (t.startsWith('owner') || t.startsWith('v1') ? 'A' : 'B'));
    const switches = sides.filter((s, i) => i > 0 && s !== sides[i - 1]).length;
    expect(switches).toBeGreaterThanOrEqual(9);
  });

  it('a late joiner on B gets the history; presence and join/leave notices follow people', async () => {
    const ownerA = sockets[0];
    if (!ownerA) throw new Error('no owner socket');
    const before = ownerA.received.length;
    expectStatus(await call(B, late, 'POST', `/api/shares/${shareId}/join`), 200, 'late join');
    const lateB = await open(B, late);
    const history = lateB.lastHistory() ?? [];
    const published = await redisHistory(keys, sessionId);
    expect(history.map((m) => m.id)).toEqual(published.slice(0, history.length).map((m) => m.id));
    expect(history.filter((m) => m.kind === 'message')).toHaveLength(40);
    // The owner on the other replica hears about it.
    const system = await ownerA.waitFor(
      'the joined notice',
      (m) => (m.type === 'message' && m.message.kind === 'system' ? m.message : undefined),
      { from: before },
    );
    expect(system).toMatchObject({ userId: late.userId, text: `${late.username} joined as viewer` });
    const joinNotice = await ownerA.waitFor(
      'the join notice',
      (m) => (m.type === 'message' && m.message.kind === 'join' ? m.message : undefined),
      { from: before },
    );
    expect(joinNotice).toMatchObject({ userId: late.userId, username: late.username });
    await ownerA.presenceIs([owner, v1, v2, v3, late].map((p) => p.username));

    const v3B = sockets.find((s) => s.who.userId === v3.userId);
    await v3B?.close();
    const leave = await ownerA.waitFor(
      'the leave notice',
      (m) => (m.type === 'message' && m.message.kind === 'leave' ? m.message : undefined),
      { from: before },
    );
    expect(leave).toMatchObject({ userId: v3.userId, text: `${v3.username} left` });
    await ownerA.presenceIs([owner, v1, v2, late].map((p) => p.username));
    await lateB.presenceIs([owner, v1, v2, late].map((p) => p.username));
  });

  it('Redis down: chat says unavailable and refuses to send, the session keeps streaming; it recovers', async () => {
    const live = sockets.filter((s) => !s.isClosed);
    const ownerA = live.find((s) => s.who.userId === owner.userId);
    const lateB = live.find((s) => s.who.userId === late.userId);
    if (!ownerA || !lateB) throw new Error('sockets missing');
    // A viewer's stream, open before the outage.
    const stream = await RfbProbe.open(B, sessionId, v2);
    expect(await stream.banner()).toMatch(/^RFB 003\.00\d\n$/);
    const marks = live.map((s) => s.received.length);

    await redis.kill();
    await Promise.all(live.map((s, i) => s.status(false, marks[i] ?? 0)));
    for (const c of [ownerA, lateB]) {
      const from = c.received.length;
      c.send('anyone there?');
      expect(await c.nextError(from)).toBe('chat is unavailable right now');
    }
    // The session itself is untouched, on both replicas…
    for (const base of [A, B])
      expect((await call(base, owner, 'GET', `/api/sessions/${sessionId}`)).json<SessionView>().state).toBe(
        'running',
      );
    // …the open stream keeps working, and new streams connect (authorization needs only Postgres).
    const fb = await stream.handshake();
    expect(fb.width).toBeGreaterThan(0);
    expect(await stream.requestUpdate(fb.width, fb.height)).toBe(0);
    const fresh = await RfbProbe.open(A, sessionId, owner);
    expect(await fresh.banner()).toMatch(/^RFB 003\.00\d\n$/);
    fresh.close();
    stream.close();
    expect(await streamAuth(B, v1, sessionId)).toEqual({ status: 200, role: 'viewer' });

    const outage = live.map((s) => s.received.length);
    await redis.restart();
    // ioredis reconnects with backoff (at most 5 s between attempts).
    await Promise.all(live.map((s, i) => s.status(true, outage[i] ?? 0, 20_000)));
    // Redis came back empty (no persistence here); presence is rebuilt by the sockets.
    await ownerA.presenceIs([owner, v1, v2, late].map((p) => p.username));
    const from = ownerA.received.length;
    lateB.send('back again');
    const got = await ownerA.waitFor(
      'a message after the outage',
      (m) => (m.type === 'message' && m.message.kind === 'message' ? m.message : undefined),
      { from },
    );
    expect(got).toMatchObject({ text: 'back again', userId: late.userId });
  });

  it('revoking the share refuses the joiners’ streams and closes their chat at once', async () => {
    const v2B = sockets.find((s) => s.who.userId === v2.userId && !s.isClosed);
    const ownerA = sockets.find((s) => s.who.userId === owner.userId && !s.isClosed);
    if (!v2B || !ownerA) throw new Error('sockets missing');
    expect((await call(A, owner, 'DELETE', `/api/sessions/${sessionId}/share`)).status).toBe(204);
    expect((await v2B.closed).code).toBe(4001);
    for (const who of [v1, v2, late]) {
      expect((await streamAuth(B, who, sessionId)).status).toBe(403);
      expect((await streamAuth(A, who, sessionId)).status).toBe(403);
      await expect(RfbProbe.open(A, sessionId, who)).rejects.toThrow(/refused with 404/);
    }
    expect((await call(B, v1, 'POST', `/api/shares/${shareId}/join`)).status).toBe(404);
    expect(ownerA.isClosed).toBe(false);
    expect(await streamAuth(B, owner, sessionId)).toEqual({ status: 200, role: 'owner' });

    // Kick works the same way for one participant: share again, two join, one is removed.
    const again = expectStatus(
      await call(B, owner, 'POST', `/api/sessions/${sessionId}/share`),
      200,
      'share again',
    ).json<ShareView>();
    shareId = again.shareId;
    for (const who of [v1, v2])
      expectStatus(await call(A, who, 'POST', `/api/shares/${shareId}/join`), 200, 'join');
    const v1Chat = await open(B, v1);
    const v2Chat = await open(A, v2);
    expect(
      (await call(B, owner, 'DELETE', `/api/sessions/${sessionId}/participants/${v1.userId}`)).status,
    ).toBe(204);
    expect((await v1Chat.closed).code).toBe(4001);
    expect((await streamAuth(A, v1, sessionId)).status).toBe(403);
    expect(await streamAuth(A, v2, sessionId)).toEqual({ status: 200, role: 'viewer' });
    expect(v2Chat.isClosed).toBe(false);
  });

  // Revoke and kick closing streams already open: stream-cut.itest.ts (both stream paths).

  it('the session ends: every chat socket closes and its chat is gone from Redis', async () => {
    const open_ = sockets.filter((s) => !s.isClosed);
    expect(open_.length).toBeGreaterThanOrEqual(2);
    expect(await keys.exists(`porthole:chat:${sessionId}`)).toBe(1);
    // Ended through replica B; sockets on both replicas must go.
    expect((await call(B, owner, 'DELETE', `/api/sessions/${sessionId}`)).status).toBe(204);
    for (const s of open_) {
      const closed = await Promise.race([
        s.closed,
        new Promise<null>((r) => setTimeout(() => r(null), 10_000)),
      ]);
      expect(closed, `${s.who.username}'s chat socket`).not.toBeNull();
    }
    // Nothing writes the history back afterwards (leave notices of the closing sockets).
    await new Promise((r) => setTimeout(r, 500));
    expect(await keys.exists(`porthole:chat:${sessionId}`)).toBe(0);
    expect(await keys.exists(`porthole:presence:${sessionId}`)).toBe(0);
    expect(await refusedStatus(A, sessionId, owner)).toBe(404);
  });
  it('replica B stops (SIGTERM) with chat sockets open: it exits at once, A’s chat goes on', async () => {
    // The real session is gone; a `running` row written with SQL is enough for chat.
    const chatOnly = await insertRunningSession(db.url, owner.userId);
    const onA = await ChatClient.joined(A, chatOnly, owner);
    const onB = await ChatClient.joined(B, chatOnly, owner);
    sockets.push(onA, onB);
    await onA.presenceIs([owner.username, owner.username]);
    const started = Date.now();
    const exited = await bProc?.kill('SIGTERM');
    expect(exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await onB.closed).code).toBe(1001);
    // B wrote its leave before disconnecting from Redis: presence on A is right at once.
    await onA.presenceIs([owner.username]);
    const from = onA.received.length;
    onA.send('still here');
    await onA.waitFor(
      'own message',
      (m) => (m.type === 'message' && m.message.text === 'still here' ? true : undefined),
      {
        from,
      },
    );
  });
});
