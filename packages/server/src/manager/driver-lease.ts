import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DRIVER_LOCK_NAMESPACE } from '../db/advisory-locks.js';
import type { DedicatedConnection } from '../db/database.js';

export interface LeaseLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * This process's liveness, as Postgres sees it. The lease holds a session-level advisory lock on
 * (DRIVER_LOCK_NAMESPACE, key) on a connection of its own for as long as the process lives; the
 * provisioner stamps `sessions.driver_key` with the key when it claims a launch. When the process
 * dies, its connection closes and Postgres releases the lock, so the recovery loop of any replica
 * (or of the restarted server) can tell that a launch lost its driver at once — by taking that
 * lock itself — instead of waiting out a time threshold.
 */
export class DriverLease {
  private key: number | null = null;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly wake = new AbortController();

  constructor(
    private readonly deps: {
      connect: () => DedicatedConnection;
      log: LeaseLog;
      /** How often the held connection is probed (a dead one is replaced, with a new key). */
      probeMs?: number;
      /** Pause before retrying after the database was unreachable. */
      retryMs?: number;
    },
  ) {}

  /** The key stamped on launches this process drives; null while no lock is held. */
  current(): number | null {
    return this.key;
  }

  start(): void {
    this.running ??= this.hold();
  }

  /** Waits (bounded) until a key is held; the server starts without one if the database is slow. */
  async ready(timeoutMs = 5_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.key === null && !this.stopped && Date.now() < until) await delay(20);
    return this.key !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.abort();
    await this.running;
  }

  private async hold(): Promise<void> {
    while (!this.stopped) {
      const conn = this.deps.connect();
      const broken = new AbortController();
      conn.onError(() => broken.abort());
      try {
        await conn.connect();
        await this.holdOn(conn, broken.signal);
      } catch (err) {
        if (!this.stopped)
          this.deps.log.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'driver lease lost; taking a new one',
          );
      } finally {
        this.key = null;
        await conn.end().catch(() => undefined);
      }
      if (!this.stopped)
        await delay(this.deps.retryMs ?? 1_000, undefined, { signal: this.wake.signal }).catch(
          () => undefined,
        );
    }
  }

  private async holdOn(conn: DedicatedConnection, broken: AbortSignal): Promise<void> {
    // A positive int32, random, so a restarted process never reuses its predecessor's key.
    const key = randomInt(1, 2 ** 31 - 1);
    const [got] = await conn.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, $2::int) as ok', [
      DRIVER_LOCK_NAMESPACE,
      key,
    ]);
    if (!got?.ok) return;
    this.key = key;
    this.deps.log.info({ driverKey: key }, 'driver lease held');
    const either = AbortSignal.any([this.wake.signal, broken]);
    while (!this.stopped) {
      await delay(this.deps.probeMs ?? 5_000, undefined, { signal: either }).catch(() => undefined);
      if (this.stopped) break;
      // Throws once the connection is gone: the lock went with it.
      await conn.query('select 1');
    }
    await conn.query('select pg_advisory_unlock($1::int, $2::int)', [DRIVER_LOCK_NAMESPACE, key]);
  }
}
