import { randomInt, randomUUID } from 'node:crypto';
import { losableSessionStates, settledSessionStates } from '@porthole/contracts';
import type { Insertable } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DRIVER_LOCK_NAMESPACE } from '../../../packages/server/src/db/advisory-locks.js';
import { migrateToLatest } from '../../../packages/server/src/db/migrator.js';
import type { SessionsTable } from '../../../packages/server/src/db/schema.js';
import { SessionRepo, type SessionRow } from '../../../packages/server/src/sessions/session-repo.js';
import { type Backend, backendNames, openBackend } from '../support/backends.js';

/**
 * The session repository's queries that the expiry and recovery loops and the check-in
 * reconciler rely on (their unit tests mock the repository), on a real PostgreSQL. Every test
 * starts from no sessions, so each query's answer can be compared whole.
 */
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe.each(backendNames)('the session repository on the %s PostgreSQL server', (name) => {
  let backend: Backend;
  let repo: SessionRepo;
  const fk = { zone: randomUUID(), agent: randomUUID(), otherAgent: randomUUID(), image: randomUUID() };
  const user = randomUUID();
  /** The test's name for each session id, so answers read as names. */
  let named = new Map<string, string>();

  beforeAll(async () => {
    backend = await openBackend(name);
    await migrateToLatest(backend.main.db);
    const db = backend.main.db;
    await db.insertInto('zones').values({ id: fk.zone, name: 'repo-zone' }).execute();
    await db
      .insertInto('agents')
      .values([
        {
          id: fk.agent,
          name: 'host-1',
          zone_id: fk.zone,
          url: 'http://127.0.0.1:1',
          secret_hash: Buffer.alloc(32),
        },
        {
          id: fk.otherAgent,
          name: 'host-2',
          zone_id: fk.zone,
          url: 'http://127.0.0.1:2',
          secret_hash: Buffer.alloc(32),
        },
      ])
      .execute();
    await db
      .insertInto('images')
      .values({
        id: fk.image,
        name: 'repo',
        friendly_name: 'Repo',
        docker_image: 'x',
        cores: 1,
        memory_mb: 64,
      })
      .execute();
    await db
      .insertInto('users')
      .values({ id: user, username: 'owner@example.com', password_hash: 'x' })
      .execute();
  });
  afterAll(async () => {
    await backend?.close();
  });
  beforeEach(async () => {
    await backend.main.db.deleteFrom('sessions').execute();
    named = new Map();
    repo = new SessionRepo(backend.main.db);
  });

  /** Inserts sessions by name: a running session of `user` on host-1, last changed at t0, unless told. */
  async function insert<K extends string>(
    rows: Record<K, Partial<Insertable<SessionsTable>>>,
  ): Promise<Record<K, string>> {
    const ids = {} as Record<K, string>;
    for (const key of Object.keys(rows) as K[]) {
      const id = randomUUID();
      ids[key] = id;
      named.set(id, key);
      await backend.main.db
        .insertInto('sessions')
        .values({
          id,
          user_id: user,
          image_id: fk.image,
          agent_id: fk.agent,
          zone_id: fk.zone,
          state: 'running',
          cores: 1,
          memory_mb: 64,
          created_at: t0,
          updated_at: t0,
          keepalive_at: t0,
          ...rows[key],
        })
        .execute();
    }
    return ids;
  }
  const names = (rows: Array<Pick<SessionRow, 'id'>>) => rows.map((r) => named.get(r.id) ?? r.id).sort();
  const events = async (id: string) => repo.events(id);
  const row = async (id: string) => {
    const r = await repo.find(id);
    if (!r) throw new Error(`session ${id} is gone`);
    return r;
  };

  it('finds the running sessions of owners whose keepalive ran out, never staged ones', async () => {
    await insert({
      expired: { keepalive_seconds: 60 },
      later: { keepalive_seconds: 60, keepalive_at: at(30_000) },
      long: { keepalive_seconds: 3600 },
      staged: { user_id: null, keepalive_seconds: 60 },
      paused: { state: 'paused', keepalive_seconds: 60 },
      ended: { keepalive_seconds: 60, ended_at: at(1_000) },
    });
    expect(names(await repo.expiredKeepalive(at(59_000)))).toEqual([]);
    expect(names(await repo.expiredKeepalive(at(60_000)))).toEqual([]);
    expect(names(await repo.expiredKeepalive(at(61_000)))).toEqual(['expired']);
    expect(names(await repo.expiredKeepalive(at(91_000)))).toEqual(['expired', 'later']);
    expect(names(await repo.expiredKeepalive(at(10 * 3600_000)))).toEqual(['expired', 'later', 'long']);
  });

  it('finds live sessions past their time limit, whatever their state, except those being deleted', async () => {
    await insert({
      limited: { expires_at: at(120_000) },
      pausedLimited: { state: 'paused', expires_at: at(120_000) },
      stagedLimited: { user_id: null, expires_at: at(120_000) },
      deleting: { state: 'deleting', expires_at: at(60_000) },
      unlimited: { expires_at: null },
      ended: { state: 'error', expires_at: at(60_000), ended_at: at(90_000) },
      later: { expires_at: at(300_000) },
    });
    expect(names(await repo.pastTimeLimit(at(119_000)))).toEqual([]);
    expect(names(await repo.pastTimeLimit(at(120_000)))).toEqual([]);
    expect(names(await repo.pastTimeLimit(at(121_000)))).toEqual([
      'limited',
      'pausedLimited',
      'stagedLimited',
    ]);
  });

  it('lists the live sessions of one agent', async () => {
    await insert({
      running: {},
      provisioning: { state: 'provisioning' },
      lost: { state: 'lost' },
      unplaced: { agent_id: null, state: 'requested' },
      ended: { state: 'deleted', ended_at: at(1_000) },
      elsewhere: { agent_id: fk.otherAgent },
    });
    expect(names(await repo.liveOnAgent(fk.agent))).toEqual(['lost', 'provisioning', 'running']);
    expect(names(await repo.liveOnAgent(fk.otherAgent))).toEqual(['elsewhere']);
  });

  it('marks the settled sessions of a silent agent lost, with the reason, and records each move', async () => {
    const s = await insert({
      running: {},
      paused: { state: 'paused' },
      stopped: { state: 'stopped', state_reason: 'stopped by owner' },
      provisioning: { state: 'provisioning' },
      deleting: { state: 'deleting' },
      ended: { state: 'error', ended_at: at(1_000) },
      elsewhere: { agent_id: fk.otherAgent },
    });
    expect(losableSessionStates).toEqual(['running', 'paused', 'stopped']);
    const now = at(60_000);
    const reason = 'agent host-1 went offline';
    expect(await repo.markLostOnAgent(fk.agent, reason, now)).toBe(3);
    for (const id of [s.running, s.paused, s.stopped]) {
      expect(await row(id)).toMatchObject({
        state: 'lost',
        state_reason: reason,
        updated_at: now,
        ended_at: null,
      });
      expect(await events(id)).toEqual([{ state: 'lost', reason, at: now }]);
    }
    expect(await row(s.provisioning)).toMatchObject({ state: 'provisioning', updated_at: t0 });
    expect(await row(s.deleting)).toMatchObject({ state: 'deleting', updated_at: t0 });
    expect(await row(s.ended)).toMatchObject({ state: 'error', updated_at: t0 });
    expect(await row(s.elsewhere)).toMatchObject({ state: 'running', updated_at: t0 });
    for (const id of [s.provisioning, s.deleting, s.ended, s.elsewhere]) expect(await events(id)).toEqual([]);
    // Already lost: nothing left to move.
    expect(await repo.markLostOnAgent(fk.agent, reason, at(120_000))).toBe(0);
  });

  it('moves a session only from the listed states, records the move, and ends it on deleted or error', async () => {
    const s = await insert({ a: {}, b: {} });
    expect(await repo.transition(s.a, ['paused', 'stopped'], 'running', 'nope', at(1_000))).toBeUndefined();
    expect(await row(s.a)).toMatchObject({ state: 'running', state_reason: null, updated_at: t0 });
    expect(await events(s.a)).toEqual([]);

    const paused = await repo.transition(
      s.a,
      ['running', 'lost'],
      'paused',
      'container is paused',
      at(2_000),
    );
    expect(paused).toMatchObject({ id: s.a, state: 'paused', state_reason: 'container is paused' });
    expect(paused?.updated_at).toEqual(at(2_000));
    expect(paused?.ended_at).toBeNull();
    expect(await row(s.a)).toEqual(paused);

    const extra = { container_id: 'c-new', running_at: at(3_000), keepalive_at: at(3_000), driver_key: 42 };
    const running = await repo.transition(s.a, ['paused'], 'running', null, at(3_000), extra);
    expect(running).toMatchObject({ state: 'running', state_reason: null, ...extra, ended_at: null });

    const failed = await repo.transition(s.a, settledSessionStates, 'error', 'container missing', at(4_000));
    expect(failed).toMatchObject({ state: 'error', ended_at: at(4_000) });
    // An ended session never moves again, even from a state the caller lists.
    expect(await repo.transition(s.a, ['error'], 'running', 'back', at(5_000))).toBeUndefined();
    expect(await row(s.a)).toMatchObject({
      state: 'error',
      state_reason: 'container missing',
      updated_at: at(4_000),
    });
    expect(await events(s.a)).toEqual([
      { state: 'paused', reason: 'container is paused', at: at(2_000) },
      { state: 'running', reason: null, at: at(3_000) },
      { state: 'error', reason: 'container missing', at: at(4_000) },
    ]);

    expect(await repo.transition(s.b, ['running'], 'deleted', 'deleted', at(6_000))).toMatchObject({
      state: 'deleted',
      ended_at: at(6_000),
    });
    expect(await repo.transition(randomUUID(), ['running'], 'paused', null, at(7_000))).toBeUndefined();
  });

  it('lets only one of two racing transitions win', async () => {
    const s = await insert({ raced: {} });
    const results = await Promise.all([
      repo.transition(s.raced, ['running'], 'deleting', 'first', at(1_000)),
      repo.transition(s.raced, ['running'], 'deleting', 'second', at(1_000)),
    ]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await events(s.raced)).toHaveLength(1);
  });

  it('tells which reported ids have no live session, whatever they look like', async () => {
    const s = await insert({ live: {}, ended: { state: 'deleted', ended_at: at(1_000) } });
    const ghost = randomUUID();
    expect(await repo.unknownOrEnded([s.live, s.ended, 'stranger', ghost])).toEqual([
      s.ended,
      'stranger',
      ghost,
    ]);
    expect(await repo.unknownOrEnded(['by-hand', 'other-tool'])).toEqual(['by-hand', 'other-tool']);
    expect(await repo.unknownOrEnded([s.live])).toEqual([]);
    expect(await repo.unknownOrEnded([])).toEqual([]);
  });

  it('records activity for many sessions at once and never moves it backwards', async () => {
    const s = await insert({
      never: { last_activity_at: null },
      older: { last_activity_at: at(30_000) },
      newer: { last_activity_at: at(30_000) },
      untouched: { last_activity_at: at(30_000) },
    });
    await repo.setActivity([]);
    await repo.setActivity([
      { id: s.never, at: at(10_000) },
      { id: s.older, at: at(20_000) },
      { id: s.newer, at: at(40_000) },
    ]);
    expect((await row(s.never)).last_activity_at).toEqual(at(10_000));
    expect((await row(s.older)).last_activity_at).toEqual(at(30_000));
    expect((await row(s.newer)).last_activity_at).toEqual(at(40_000));
    expect((await row(s.untouched)).last_activity_at).toEqual(at(30_000));
  });

  it('finds live sessions in the given states last changed before a time, oldest first', async () => {
    await insert({
      starting: { state: 'starting', updated_at: at(5_000) },
      provisioning: { state: 'provisioning', updated_at: t0 },
      requestedOld: { state: 'requested', updated_at: at(1_000) },
      requestedNew: { state: 'requested', updated_at: at(20_000) },
      running: { state: 'running', updated_at: t0 },
      ended: { state: 'starting', updated_at: t0, ended_at: at(1_000) },
    });
    const ordered = (rows: SessionRow[]) => rows.map((r) => named.get(r.id));
    expect(ordered(await repo.stale(['requested'], at(1_000)))).toEqual([]);
    expect(ordered(await repo.stale(['requested'], at(10_000)))).toEqual(['requestedOld']);
    expect(ordered(await repo.stale(['provisioning', 'starting'], at(10_000)))).toEqual([
      'provisioning',
      'starting',
    ]);
    expect(ordered(await repo.stale(['requested', 'provisioning', 'starting'], at(60_000), 2))).toEqual([
      'provisioning',
      'requestedOld',
    ]);
  });

  it('finds launches stamped with a driver key nobody holds, and leaves a live driver’s alone', async () => {
    const [gone, held] = [randomInt(1, 2 ** 31 - 1), randomInt(1, 2 ** 31 - 1)];
    await insert({
      orphan: { state: 'starting', driver_key: gone, updated_at: t0 },
      driven: { state: 'provisioning', driver_key: held, updated_at: at(1_000) },
      unstamped: { state: 'provisioning', driver_key: null },
      settled: { state: 'running', driver_key: gone },
      ended: { state: 'starting', driver_key: gone, ended_at: at(1_000) },
    });
    // Another process's lease: a session-level lock on a connection of its own.
    const driver = new pg.Client({ connectionString: backend.mainUrl });
    await driver.connect();
    try {
      await driver.query('select pg_advisory_lock($1::int, $2::int)', [DRIVER_LOCK_NAMESPACE, held]);
      const orphaned = async () =>
        (await repo.orphanedLaunches(['provisioning', 'starting'])).map((r) => named.get(r.id));
      expect(await orphaned()).toEqual(['orphan']);
      // Asking holds no lock afterwards: the orphan's key is free for whoever resumes it.
      const [free] = (
        await driver.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, $2::int) as ok', [
          DRIVER_LOCK_NAMESPACE,
          gone,
        ])
      ).rows;
      expect(free?.ok).toBe(true);
      await driver.query('select pg_advisory_unlock($1::int, $2::int)', [DRIVER_LOCK_NAMESPACE, gone]);
      await driver.query('select pg_advisory_unlock($1::int, $2::int)', [DRIVER_LOCK_NAMESPACE, held]);
      expect(await orphaned()).toEqual(['orphan', 'driven']);
    } finally {
      await driver.end();
    }
  });
});
