import type { ShareView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ChatClient,
  call,
  expectStatus,
  insertRunningSession,
  People,
  type Person,
  refusedStatus,
  until,
} from './support.js';

/**
 * One server without REDIS_URL (as `porthole up` runs): the in-process bus carries the same chat.
 * The session is a `running` row written with SQL (see insertRunningSession): chat needs no container.
 */
describe('sharing on a single server with the in-process bus', () => {
  let t: TestServer;
  let S: string;
  let people: People;
  let owner: Person;
  let viewer: Person;
  let sessionId: string;
  const sockets: ChatClient[] = [];
  const open = async (who: Person) => {
    const c = await ChatClient.joined(S, sessionId, who);
    sockets.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestServer({ trustedProxies: ['127.0.0.1'] });
    S = t.server.url;
    expect(t.server.services.bus.kind).toBe('memory');
    people = await People.on(S);
    const sharers = await people.group('sharers', { allow_sharing: true });
    owner = await people.user('owner', [sharers]);
    viewer = await people.user('viewer');
    sessionId = await insertRunningSession(t.database.url, owner.userId);
  });

  let stopped = false;
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    if (!stopped) await t?.stop();
  });

  it('owner and joiner chat both ways in one order, with presence and notices', async () => {
    const { shareId } = expectStatus(
      await call(S, owner, 'POST', `/api/sessions/${sessionId}/share`),
      200,
      'share',
    ).json<ShareView>();
    expectStatus(await call(S, viewer, 'POST', `/api/shares/${shareId}/join`), 200, 'join');
    const o = await open(owner);
    const v = await open(viewer);
    await o.presenceIs([owner.username, viewer.username]);
    const joined = await o.waitFor('join notice', (m) =>
      m.type === 'message' && m.message.kind === 'join' && m.message.userId === viewer.userId ? m : undefined,
    );
    expect(joined.message.text).toBe(`${viewer.username} is here`);
    for (let i = 0; i < 10; i++) {
      o.send(`o${i}`);
      v.send(`v${i}`);
    }
    const seen = await Promise.all(
      [o, v].map((c) =>
        until('20 messages', () => {
          const got = c.live('message');
          return got.length >= 20 ? got.map((m) => m.id) : undefined;
        }),
      ),
    );
    expect(seen[0]).toEqual(seen[1]);
    const history = await t.server.services.bus.history(sessionId);
    expect(history.filter((m) => m.kind === 'message').map((m) => m.id)).toEqual(seen[0]);

    // A late second tab of the viewer gets the history.
    const late = await open(viewer);
    expect(late.lastHistory()?.map((m) => m.id)).toEqual(history.map((m) => m.id));
    await late.close();
    await o.presenceIs([owner.username, viewer.username]);
    const leave = await o.waitFor('leave notice', (m) =>
      m.type === 'message' && m.message.kind === 'leave' ? m.message : undefined,
    );
    expect(leave.userId).toBe(viewer.userId);
  });

  it('keeps at most the last 500 messages', async () => {
    const other = await insertRunningSession(t.database.url, owner.userId);
    const bus = t.server.services.bus;
    for (let i = 0; i < 520; i++)
      await bus.appendChat(other, {
        id: `m${i}`,
        kind: 'message',
        userId: owner.userId,
        username: owner.username,
        text: `n${i}`,
        at: new Date().toISOString(),
      });
    const c = await ChatClient.joined(S, other, owner);
    sockets.push(c);
    const history = c.lastHistory() ?? [];
    expect(history).toHaveLength(500);
    expect(history[0]?.text).toBe('n20');
    expect(history[499]?.text).toBe('n519');
  });

  it('the session ends: every chat socket closes (owner’s too) and the history is gone', async () => {
    const live = sockets.filter((s) => !s.isClosed && s.sessionId === sessionId);
    expect(live.map((s) => s.who.userId).sort()).toEqual([owner.userId, viewer.userId].sort());
    expect((await call(S, owner, 'DELETE', `/api/sessions/${sessionId}`)).status).toBe(204);
    for (const s of live) {
      const closed = await Promise.race([
        s.closed,
        new Promise<null>((r) => setTimeout(() => r(null), 5_000)),
      ]);
      expect(closed, `${s.who.username}'s socket`).toEqual({ code: 4004, reason: 'the session ended' });
      expect(s.received.some((m) => m.type === 'error' && m.message === 'the session ended')).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await t.server.services.bus.history(sessionId)).toEqual([]);
    expect(await refusedStatus(S, sessionId, owner)).toBe(404);
    expect(await refusedStatus(S, sessionId, viewer)).toBe(404);
  });
  it('a session that ends without the end hook (failed by a check-in) still closes its chat', async () => {
    const failing = await insertRunningSession(t.database.url, owner.userId);
    const c = await ChatClient.joined(S, failing, owner);
    sockets.push(c);
    c.send('before the failure');
    await c.waitFor('own message', (m) =>
      m.type === 'message' && m.message.kind === 'message' ? true : undefined,
    );
    // What the check-in reconciler does when the container is missing: straight to error.
    await query(t.database.url, `UPDATE sessions SET state = 'error', ended_at = now() WHERE id = $1`, [
      failing,
    ]);
    // Noticed on the next presence refresh (every 15 s).
    const closed = await Promise.race([
      c.closed,
      new Promise<null>((r) => setTimeout(() => r(null), 20_000)),
    ]);
    expect(closed).toEqual({ code: 4004, reason: 'the session ended' });
    expect(await t.server.services.bus.history(failing)).toEqual([]);
  });

  it('stopping the server closes open chat sockets (1001) instead of waiting for them', async () => {
    const sessionId2 = await insertRunningSession(t.database.url, owner.userId);
    const c = await ChatClient.joined(S, sessionId2, owner);
    sockets.push(c);
    const started = Date.now();
    stopped = true;
    await Promise.race([
      t.stop(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('server.close() hung')), 10_000)),
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await c.closed).toEqual({ code: 1001, reason: 'server shutting down' });
  });
});
