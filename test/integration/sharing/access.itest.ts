import type { JoinedSession, ParticipantView, ShareView } from '@porthole/contracts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  type ChatClient as Chat,
  ChatClient,
  call,
  expectStatus,
  insertRunningSession,
  People,
  type Person,
  RedisProcess,
  redisHistory,
  refusedStatus,
  signIn,
  until,
} from './support.js';

/**
 * Who may share, join, read and post, and the chat's limits — on two in-process replicas (A and
 * B) sharing one Postgres database and one real Redis. Sessions here are `running` rows written
 * with SQL (see insertRunningSession): the rules under test read only the row, so no container
 * is needed; the stream side of revocation is proven on a real session in replicas.itest.ts.
 */
describe('sharing: authorization and limits (two replicas, real Redis)', () => {
  let redis: RedisProcess;
  let keys: Redis;
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let A: string;
  let B: string;
  let people: People;
  let sharers: string;
  let fullControl: string;
  const sockets: Chat[] = [];
  const open = async (base: string, sessionId: string, who: Person) => {
    const c = await ChatClient.joined(base, sessionId, who);
    sockets.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await RedisProcess.start();
    keys = redis.client();
    db = await createTestDatabase('sharing_access');
    const config = { redisUrl: redis.url, trustedProxies: ['127.0.0.1'] };
    a = await startTestServer(config, db);
    b = await startTestServer(config, db);
    A = a.server.url;
    B = b.server.url;
    people = await People.on(A);
    sharers = await people.group('sharers', { allow_sharing: true });
    fullControl = await people.group('full-control', {
      allow_sharing: true,
      shared_session_full_control: true,
    });
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await b?.stop();
    await a?.stop();
    keys?.disconnect();
    await db?.drop();
    await redis?.kill();
  });

  const share = async (base: string, owner: Person, sessionId: string) =>
    expectStatus(
      await call(base, owner, 'POST', `/api/sessions/${sessionId}/share`),
      200,
      'share',
    ).json<ShareView>();
  const join = (base: string, who: Person, shareId: string) =>
    call(base, who, 'POST', `/api/shares/${shareId}/join`);

  it('refuses sharing when no group of the owner allows it (allow_sharing defaults to false)', async () => {
    const owner = await people.user('no-sharing');
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const r = await call(A, owner, 'POST', `/api/sessions/${sessionId}/share`);
    expect(r.status).toBe(403);
    expect(r.json<{ error: { message: string } }>().error.message).toMatch(/sharing/);
    // Nobody else may share it either (it looks absent to them).
    const other = await people.user('other', [sharers]);
    expect((await call(A, other, 'POST', `/api/sessions/${sessionId}/share`)).status).toBe(404);
  });

  it('a joiner is a viewer by default, a collaborator when the owner’s group grants full control', async () => {
    const plainOwner = await people.user('owner-plain', [sharers]);
    const fullOwner = await people.user('owner-full', [fullControl]);
    const joiner = await people.user('joiner', []);
    const plainSession = await insertRunningSession(db.url, plainOwner.userId);
    const fullSession = await insertRunningSession(db.url, fullOwner.userId);
    const plainShare = await share(A, plainOwner, plainSession);
    const fullShare = await share(B, fullOwner, fullSession);
    expect(plainShare.url).toBe(`${A}/join/${plainShare.shareId}`);
    expect(plainShare.shareId).toMatch(/^[0-9a-f]{32}$/);
    // Sharing twice gives the same link.
    expect((await share(B, plainOwner, plainSession)).shareId).toBe(plainShare.shareId);

    const asViewer = expectStatus(
      await join(B, joiner, plainShare.shareId),
      200,
      'join',
    ).json<JoinedSession>();
    expect(asViewer.role).toBe('viewer');
    expect(asViewer.session.id).toBe(plainSession);
    const asCollaborator = expectStatus(
      await join(A, joiner, fullShare.shareId),
      200,
      'join',
    ).json<JoinedSession>();
    expect(asCollaborator.role).toBe('collaborator');

    const listed = expectStatus(
      await call(A, plainOwner, 'GET', `/api/sessions/${fullSession}/participants`),
      404,
      'someone else’s participants',
    );
    expect(listed.status).toBe(404);
    const fullList = (await call(B, joiner, 'GET', `/api/sessions/${fullSession}/participants`)).json<{
      items: ParticipantView[];
    }>().items;
    expect(fullList.map((p) => [p.username, p.role])).toEqual([[joiner.username, 'collaborator']]);

    // Presence carries the role too.
    const chat = await open(B, fullSession, joiner);
    expect(chat.received.find((m) => m.type === 'presence')).toMatchObject({
      users: [{ userId: joiner.userId, role: 'collaborator' }],
    });
    // The owner following their own link stays owner and is not a participant.
    const self = expectStatus(
      await join(A, fullOwner, fullShare.shareId),
      200,
      'own join',
    ).json<JoinedSession>();
    expect(self.role).toBe('owner');
    const after = (await call(A, fullOwner, 'GET', `/api/sessions/${fullSession}/participants`)).json<{
      items: ParticipantView[];
    }>().items;
    expect(after.map((p) => p.userId)).toEqual([joiner.userId]);
  });

  it('a non-participant can neither open the chat nor read participants, on either replica', async () => {
    const owner = await people.user('owner-np', [sharers]);
    const stranger = await people.user('stranger');
    const sessionId = await insertRunningSession(db.url, owner.userId);
    await share(A, owner, sessionId);
    for (const base of [A, B]) {
      expect(await refusedStatus(base, sessionId, stranger)).toBe(404);
      expect(await refusedStatus(base, sessionId, null)).toBe(401);
      expect((await call(base, stranger, 'GET', `/api/sessions/${sessionId}/participants`)).status).toBe(404);
      expect((await call(base, null, 'GET', `/api/sessions/${sessionId}/participants`)).status).toBe(401);
      // Not the owner: cannot revoke or kick either.
      expect((await call(base, stranger, 'DELETE', `/api/sessions/${sessionId}/share`)).status).toBe(404);
      expect(
        (await call(base, stranger, 'DELETE', `/api/sessions/${sessionId}/participants/${owner.userId}`))
          .status,
      ).toBe(404);
    }
    // A session id nobody has, and a path that is no session id.
    expect(await refusedStatus(A, '00000000-0000-4000-8000-000000000000', owner)).toBe(404);
    expect(await refusedStatus(A, 'not-a-uuid', owner)).toBe(404);
    // Nothing the stranger could have said reached the history.
    expect((await redisHistory(keys, sessionId)).filter((m) => m.userId === stranger.userId)).toEqual([]);
  });

  it('a revoked link stops working at once: join 404, participants 404, chat closed with an error', async () => {
    const owner = await people.user('owner-rv', [sharers]);
    const joinerA = await people.user('joiner-rv-a');
    const joinerB = await people.user('joiner-rv-b');
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const { shareId } = await share(A, owner, sessionId);
    expectStatus(await join(A, joinerA, shareId), 200, 'join A');
    expectStatus(await join(B, joinerB, shareId), 200, 'join B');
    const ownerChat = await open(A, sessionId, owner);
    const chatA = await open(A, sessionId, joinerA);
    const chatB = await open(B, sessionId, joinerB);
    await ownerChat.presenceIs([owner.username, joinerA.username, joinerB.username]);

    expect((await call(B, owner, 'DELETE', `/api/sessions/${sessionId}/share`)).status).toBe(204);
    // Both joiners' sockets close, on both replicas, with the reason; the owner's stays.
    for (const c of [chatA, chatB]) {
      const closed = await c.closed;
      expect(closed.code).toBe(4001);
      expect(c.received.some((m) => m.type === 'error' && m.message === 'sharing was turned off')).toBe(true);
    }
    expect(ownerChat.isClosed).toBe(false);
    await ownerChat.presenceIs([owner.username]);

    for (const [base, who] of [
      [A, joinerA],
      [B, joinerB],
    ] as const) {
      expect((await join(base, who, shareId)).status).toBe(404);
      expect((await call(base, who, 'GET', `/api/sessions/${sessionId}/participants`)).status).toBe(404);
      expect(await refusedStatus(base, sessionId, who)).toBe(404);
    }
    const left = (await call(A, owner, 'GET', `/api/sessions/${sessionId}/participants`)).json<{
      items: ParticipantView[];
    }>();
    expect(left.items).toEqual([]);
    // Sharing again makes a new link; the old one stays dead.
    const again = await share(A, owner, sessionId);
    expect(again.shareId).not.toBe(shareId);
    expect((await join(A, joinerA, shareId)).status).toBe(404);
  });

  it('kick removes one participant: their chat closes, the others stay', async () => {
    const owner = await people.user('owner-kick', [sharers]);
    const kicked = await people.user('kicked');
    const stays = await people.user('stays');
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const { shareId } = await share(A, owner, sessionId);
    expectStatus(await join(B, kicked, shareId), 200, 'join');
    expectStatus(await join(B, stays, shareId), 200, 'join');
    const kickedChat = await open(B, sessionId, kicked);
    const kickedSecondTab = await open(A, sessionId, kicked);
    const staysChat = await open(A, sessionId, stays);

    expect(
      (await call(A, owner, 'DELETE', `/api/sessions/${sessionId}/participants/${kicked.userId}`)).status,
    ).toBe(204);
    for (const c of [kickedChat, kickedSecondTab]) {
      expect((await c.closed).code).toBe(4001);
      expect(c.received.some((m) => m.type === 'error' && m.message === 'removed by the owner')).toBe(true);
    }
    await staysChat.presenceIs([stays.username]);
    expect(staysChat.isClosed).toBe(false);
    expect(await refusedStatus(B, sessionId, kicked)).toBe(404);
    expect((await call(B, kicked, 'GET', `/api/sessions/${sessionId}/participants`)).status).toBe(404);
    const list = (await call(A, owner, 'GET', `/api/sessions/${sessionId}/participants`)).json<{
      items: ParticipantView[];
    }>().items;
    expect(list.map((p) => p.userId)).toEqual([stays.userId]);
    // Kicking someone who is not there is a 404.
    expect(
      (await call(A, owner, 'DELETE', `/api/sessions/${sessionId}/participants/${kicked.userId}`)).status,
    ).toBe(404);
  });

  it('signing out closes the chat sockets of that sign-in on every replica (4003); another sign-in stays', async () => {
    const owner = await people.user('owner-signout', [sharers]);
    const guest = await people.user('guest-signout');
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const { shareId } = await share(A, owner, sessionId);
    expectStatus(await join(B, guest, shareId), 200, 'join');
    const laptop = await signIn(A, guest.username);
    const onLaptopA = await open(A, sessionId, laptop);
    const onLaptopB = await open(B, sessionId, laptop);
    const elsewhere = await open(A, sessionId, guest);
    const ownerChat = await open(B, sessionId, owner);

    expect((await call(B, laptop, 'POST', '/api/auth/logout')).status).toBe(204);
    for (const c of [onLaptopA, onLaptopB]) {
      expect((await c.closed).code).toBe(4003);
      expect(c.received.some((m) => m.type === 'error' && m.message === 'signed out')).toBe(true);
    }
    expect(await refusedStatus(A, sessionId, laptop)).toBe(401);
    await ownerChat.presenceIs([owner.username, guest.username]);
    expect(elsewhere.isClosed).toBe(false);
    expect(ownerChat.isClosed).toBe(false);
  });

  it('limits text to 2000 characters and says so; HTML is kept verbatim as text', async () => {
    const owner = await people.user('owner-len', [sharers]);
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const ownerChat = await open(A, sessionId, owner);
    const joiner = await people.user('reader');
    const { shareId } = await share(A, owner, sessionId);
    expectStatus(await join(B, joiner, shareId), 200, 'join');
    const readerChat = await open(B, sessionId, joiner);

    let from = ownerChat.received.length;
    ownerChat.send('x'.repeat(2001));
    expect(await ownerChat.nextError(from)).toBe('text must be at most 2000 characters');
    from = ownerChat.received.length;
    ownerChat.send('   ');
    expect(await ownerChat.nextError(from)).toBe('text must not be empty');
    from = ownerChat.received.length;
    ownerChat.sendRaw('not json');
    expect(await ownerChat.nextError(from)).toMatch(/JSON/);
    from = ownerChat.received.length;
    ownerChat.sendRaw(JSON.stringify({ type: 'shout', text: 'hi' }));
    expect(await ownerChat.nextError(from)).toBeTruthy();

    const longest = 'é'.repeat(2000);
    const html = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp; <b>bold</b>';
    ownerChat.send(longest);
    ownerChat.send(html);
    const seen = await until('both messages on B', () => {
      const texts = readerChat.live('message').map((m) => m.text);
      return texts.length >= 2 ? texts : undefined;
    });
    expect(seen).toEqual([longest, html]);
    const stored = (await redisHistory(keys, sessionId))
      .filter((m) => m.kind === 'message')
      .map((m) => m.text);
    expect(stored).toEqual([longest, html]);
    // None of the invalid ones were stored.
    expect(stored.some((t) => t.startsWith('xxx') || t.trim() === '')).toBe(false);
  });

  it('rate-limits each user to 10 messages per 10 s, across their tabs and across replicas', async () => {
    const owner = await people.user('owner-rate', [sharers]);
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const tab1 = await open(A, sessionId, owner);
    const tab2 = await open(A, sessionId, owner);
    const onB = await open(B, sessionId, owner);
    for (let i = 0; i < 5; i++) tab1.send(`one ${i}`);
    for (let i = 0; i < 5; i++) tab2.send(`two ${i}`);
    await until('ten messages', () => (tab1.live('message').length >= 10 ? true : undefined));
    let from = tab1.received.length;
    tab1.send('eleventh');
    expect(await tab1.nextError(from)).toMatch(/^slow down: too many messages \(try again in \d+ s\)$/);
    from = onB.received.length;
    onB.send('from the other replica');
    expect(await onB.nextError(from)).toMatch(/^slow down: too many messages \(try again in \d+ s\)$/);
    await new Promise((r) => setTimeout(r, 300));
    const texts = tab1.live('message').map((m) => m.text);
    expect(texts).toHaveLength(10);
    expect(texts).not.toContain('eleventh');
    expect(texts).not.toContain('from the other replica');
    // Another user in the same session has a budget of their own.
    const joiner = await people.user('rate-other');
    const { shareId } = await share(A, owner, sessionId);
    expectStatus(await join(A, joiner, shareId), 200, 'join');
    const other = await open(B, sessionId, joiner);
    other.send('my turn');
    await until('the other user’s message', () =>
      tab1.live('message').some((m) => m.text === 'my turn') ? true : undefined,
    );
  });

  it('an administrator may watch any session’s chat as a viewer (not listed as participant)', async () => {
    const owner = await people.user('owner-adm', [sharers]);
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const adminChat = await open(B, sessionId, people.admin);
    expect(adminChat.received.find((m) => m.type === 'presence')).toMatchObject({
      users: [{ userId: people.admin.userId, role: 'viewer' }],
    });
    const list = (await call(A, owner, 'GET', `/api/sessions/${sessionId}/participants`)).json<{
      items: ParticipantView[];
    }>().items;
    expect(list).toEqual([]);
  });
  it('sockets dropped mid-join leave no presence entry behind', async () => {
    const owner = await people.user('owner-churn', [sharers]);
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const stays = await open(B, sessionId, owner);
    // Tabs that vanish right after the upgrade, before the server finished joining them.
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const c = await ChatClient.open(i % 2 ? A : B, sessionId, owner);
        c.ws.terminate();
        await c.closed;
      }),
    );
    await until('the presence hash to settle', async () =>
      (await keys.hlen(`porthole:presence:${sessionId}`)) === 1 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await keys.hlen(`porthole:presence:${sessionId}`)).toBe(1);
    await stays.presenceIs([owner.username]);
  });

  it('presence drops entries a crashed replica left behind (not refreshed for 45 s)', async () => {
    const owner = await people.user('owner-ghost', [sharers]);
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const key = `porthole:presence:${sessionId}`;
    const entry = (username: string, seenAt: number) =>
      JSON.stringify({ userId: owner.userId, username, role: 'viewer', seenAt });
    // As a replica killed with -9 leaves them: one long silent, one refreshed a moment ago.
    await keys.hset(key, 'ghost-connection', entry('ghost', Date.now() - 60_000));
    await keys.hset(key, 'fresh-connection', entry('fresh', Date.now() - 1_000));
    const c = await open(B, sessionId, owner);
    await c.presenceIs([owner.username, 'fresh']);
    expect((await keys.hkeys(key)).sort()).toEqual(['fresh-connection', expect.any(String)].sort());
    expect(await keys.hexists(key, 'ghost-connection')).toBe(0);
  });

  it('a late joiner on the other replica gets at most the last 500 messages', async () => {
    const owner = await people.user('owner-500', [sharers]);
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const bus = a.server.services.bus;
    // Issued in order on one connection: Redis applies them in that order.
    const appends: Array<Promise<void>> = [];
    for (let i = 0; i < 520; i++)
      appends.push(
        bus.appendChat(sessionId, {
          id: `m${i}`,
          kind: 'message',
          userId: owner.userId,
          username: owner.username,
          text: `n${i}`,
          at: new Date().toISOString(),
        }),
      );
    await Promise.all(appends);
    expect(await keys.llen(`porthole:chat:${sessionId}`)).toBe(500);
    const c = await open(B, sessionId, owner);
    const history = c.lastHistory() ?? [];
    expect(history).toHaveLength(500);
    expect(history[0]?.text).toBe('n20');
    expect(history[499]?.text).toBe('n519');
  });

  it('the session page read (/access) gives owner, joiner and admin their role and who may share', async () => {
    type Access = { session: { id: string }; role: string; mayShare: boolean };
    const owner = await people.user('owner-ac', [sharers]);
    const plain = await people.user('owner-ac-plain');
    const joiner = await people.user('joiner-ac');
    const stranger = await people.user('stranger-ac');
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const plainSession = await insertRunningSession(db.url, plain.userId);
    const access = (base: string, who: Person | null, id = sessionId) =>
      call(base, who, 'GET', `/api/sessions/${id}/access`);

    const own = expectStatus(await access(A, owner), 200, 'owner access').json<Access>();
    expect(own).toMatchObject({ session: { id: sessionId }, role: 'owner', mayShare: true });
    // The owner's groups do not allow sharing: the page must not offer it.
    expect((await access(B, plain, plainSession)).json<Access>()).toMatchObject({
      role: 'owner',
      mayShare: false,
    });
    // Not shared yet, or shared but not joined: the session looks absent, on both replicas.
    expect((await access(A, joiner)).status).toBe(404);
    const { shareId } = await share(A, owner, sessionId);
    expect((await access(B, joiner)).status).toBe(404);
    expectStatus(await join(B, joiner, shareId), 200, 'join');
    expect((await access(A, joiner)).json<Access>()).toMatchObject({ role: 'viewer', mayShare: false });
    expect((await access(B, stranger)).status).toBe(404);
    expect((await access(A, null)).status).toBe(401);
    // An admin watches as viewer but may manage the share (enable accepts admins).
    expect((await access(B, people.admin)).json<Access>()).toMatchObject({ role: 'viewer', mayShare: true });

    // Revoked: the joiner loses the page at once; the owner keeps it.
    expect((await call(A, owner, 'DELETE', `/api/sessions/${sessionId}/share`)).status).toBe(204);
    expect((await access(B, joiner)).status).toBe(404);
    expect((await access(B, owner)).json<Access>().role).toBe('owner');
  });

  // Last: it stops this file's Redis for a while.
  it('a revoke made while Redis is down still disconnects the joiner once Redis is back', async () => {
    const owner = await people.user('owner-outage', [sharers]);
    const joiner = await people.user('joiner-outage');
    const sessionId = await insertRunningSession(db.url, owner.userId);
    const { shareId } = await share(A, owner, sessionId);
    expectStatus(await join(B, joiner, shareId), 200, 'join');
    const ownerChat = await open(A, sessionId, owner);
    const joinerChat = await open(B, sessionId, joiner);
    const marks = [ownerChat.received.length, joinerChat.received.length];
    await redis.kill();
    await ownerChat.status(false, marks[0] ?? 0);
    await joinerChat.status(false, marks[1] ?? 0);
    // Postgres decides at once; the bus cannot carry the kick now.
    expect((await call(A, owner, 'DELETE', `/api/sessions/${sessionId}/share`)).status).toBe(204);
    expect((await join(B, joiner, shareId)).status).toBe(404);
    await redis.restart();
    await ownerChat.status(true, marks[0] ?? 0, 20_000);
    const closed = await Promise.race([
      joinerChat.closed,
      new Promise<null>((r) => setTimeout(() => r(null), 20_000)),
    ]);
    expect(closed?.code).toBe(4001);
    expect(ownerChat.isClosed).toBe(false);
    await ownerChat.presenceIs([owner.username]);
  });
});
