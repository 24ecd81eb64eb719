import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../../packages/server/src/db/database.js';
import { migrateToLatest } from '../../../packages/server/src/db/migrator.js';
import { DriverLease } from '../../../packages/server/src/manager/driver-lease.js';
import { SessionRepo } from '../../../packages/server/src/sessions/session-repo.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The driver lease on a real PostgreSQL: a launch stamped with a live process's key is not
 * orphaned; once that process's connection is gone (a kill -9 closes it; here the backend is
 * terminated, which Postgres treats the same), the launch is orphaned at once, with no timeout.
 */
const silent = { info: () => undefined, warn: () => undefined };
let tdb: TestDatabase;
let a: DatabaseHandle;
let b: DatabaseHandle;
let imageId = '';

beforeAll(async () => {
  tdb = await createTestDatabase('driver_lease');
  a = openDatabase(tdb.url);
  b = openDatabase(tdb.url);
  await migrateToLatest(a.db);
  imageId = randomUUID();
  await a.db
    .insertInto('images')
    .values({
      id: imageId,
      name: 'lease',
      friendly_name: 'Lease',
      docker_image: 'x',
      cores: 1,
      memory_mb: 64,
    })
    .execute();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await tdb?.drop();
});

async function launchRow(state: string, driverKey: number | null): Promise<string> {
  const id = randomUUID();
  await a.db
    .insertInto('sessions')
    .values({ id, image_id: imageId, state, cores: 1, memory_mb: 64, driver_key: driverKey })
    .execute();
  return id;
}

describe('DriverLease', () => {
  it('holds a key while the process lives; its launches are orphaned the moment it is gone', async () => {
    // A retry starts from no launches (the first attempt's rows would be orphans by now).
    await a.db.deleteFrom('sessions').execute();
    const leaseA = new DriverLease({ connect: () => a.dedicated(), log: silent, probeMs: 200 });
    leaseA.start();
    expect(await leaseA.ready()).toBe(true);
    const keyA = leaseA.current();
    expect(keyA).toBeGreaterThan(0);

    const leaseB = new DriverLease({ connect: () => b.dedicated(), log: silent, probeMs: 200 });
    leaseB.start();
    expect(await leaseB.ready()).toBe(true);
    expect(leaseB.current()).not.toBe(keyA);

    const driven = await launchRow('starting', keyA);
    const unstamped = await launchRow('provisioning', null);
    const running = await launchRow('running', 12345);
    const gone = await launchRow('provisioning', 12345); // a key nobody holds

    const repoB = new SessionRepo(b.db);
    const ids = async () => (await repoB.orphanedLaunches(['provisioning', 'starting'])).map((r) => r.id);
    expect(await ids()).toEqual([gone]);
    // The check takes each lock only for its own transaction: asking again changes nothing.
    expect(await ids()).toEqual([gone]);

    // Process A dies: Postgres ends its backend (as when the socket closes on kill -9).
    await sql`select pg_terminate_backend(pid) from pg_locks
      where locktype = 'advisory' and objid = ${keyA}::int::oid and granted`.execute(b.db);
    // pg_terminate_backend only signals: the backend (and its lock) goes a moment later, which
    // a loaded machine makes visible. No timeout of ours is involved, only that exit.
    await expect
      .poll(async () => (await ids()).sort(), { timeout: 5_000, interval: 50 })
      .toEqual([driven, gone].sort());
    expect(await ids()).not.toContain(unstamped);
    expect(await ids()).not.toContain(running);

    // A's lease notices within a probe and takes a fresh key; the orphan stays orphaned.
    const t0 = Date.now();
    while ((leaseA.current() === null || leaseA.current() === keyA) && Date.now() - t0 < 5_000)
      await new Promise((r) => setTimeout(r, 50));
    expect(leaseA.current()).not.toBeNull();
    expect(leaseA.current()).not.toBe(keyA);
    expect(await ids()).toContain(driven);

    await leaseA.stop();
    await leaseB.stop();
    expect(leaseA.current()).toBeNull();
  });
});
