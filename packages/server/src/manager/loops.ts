import { startingSessionStates } from '@porthole/contracts';
import type { AgentHealth } from '../agents/agent-health.js';
import { publicKeyFingerprint, type ReloadingGrantSigner } from '../agents/grant-keys.js';
import type { Clock } from '../platform/clock.js';
import type { Provisioner } from '../sessions/provisioner.js';
import type { SessionRepo } from '../sessions/session-repo.js';
import type { SessionService } from '../sessions/session-service.js';

export interface Loop {
  name: string;
  tick(): Promise<number>;
}

export interface LoopLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Agents that miss three check-ins go offline (agents/agent-health.ts decides). */
export class AgentHealthLoop implements Loop {
  readonly name = 'agent-health';
  constructor(private readonly health: Pick<AgentHealth, 'sweep'>) {}

  tick(): Promise<number> {
    return this.health.sweep();
  }
}

/** Every replica re-reads the grant signing key, so a rotation needs no restart (grant-keys.ts). */
export class GrantKeyLoop implements Loop {
  readonly name = 'grant-key';
  constructor(
    private readonly signer: Pick<ReloadingGrantSigner, 'refresh' | 'publicKeyPem'>,
    private readonly log: LoopLog,
  ) {}

  async tick(): Promise<number> {
    const changed = await this.signer.refresh();
    if (changed > 0)
      this.log.info(
        { fingerprint: publicKeyFingerprint(this.signer.publicKeyPem) },
        'grant signing key reloaded',
      );
    return changed;
  }
}

/** Keepalive expiry (the owner's chosen action) and the hard session time limit. */
export class ExpiryLoop implements Loop {
  readonly name = 'expiry';
  constructor(
    private readonly deps: {
      sessions: Pick<SessionRepo, 'pastTimeLimit' | 'expiredKeepalive'>;
      service: Pick<SessionService, 'delete' | 'act'>;
      clock: Clock;
      log: LoopLog;
    },
  ) {}

  async tick(): Promise<number> {
    const { sessions, service, clock, log } = this.deps;
    const now = clock.now();
    let acted = 0;
    for (const s of await sessions.pastTimeLimit(now)) {
      log.info({ sessionId: s.id }, 'session time limit reached');
      await service
        .delete('system', s.id, 'session time limit reached')
        .catch((err) => log.warn({ sessionId: s.id, err: String(err) }, 'expiry delete failed'));
      acted += 1;
    }
    for (const s of await sessions.expiredKeepalive(now)) {
      const reason = 'keepalive expired';
      log.info({ sessionId: s.id, action: s.keepalive_action }, reason);
      const done =
        s.keepalive_action === 'delete'
          ? service.delete('system', s.id, reason)
          : service.act('system', s.id, s.keepalive_action, reason);
      await Promise.resolve(done).catch((err) =>
        log.warn({ sessionId: s.id, err: String(err) }, 'expiry action failed'),
      );
      acted += 1;
    }
    return acted;
  }
}

/**
 * Sessions a crashed or restarted server left half-way: launches are driven again (the agent's
 * create is idempotent), deletes are finished. A launch whose driver's lease is gone (the process
 * died: see driver-lease.ts) is resumed at once; otherwise thresholds leave a live driver time to
 * finish (they also cover launches stamped by no lease, e.g. while the database was away).
 */
export class RecoveryLoop implements Loop {
  readonly name = 'recovery';
  constructor(
    private readonly deps: {
      sessions: Pick<SessionRepo, 'stale' | 'orphanedLaunches'>;
      provisioner: Pick<Provisioner, 'isDriving' | 'start'>;
      service: Pick<SessionService, 'delete'>;
      clock: Clock;
      log: LoopLog;
      requestedAfterMs?: number;
      startingAfterMs?: number;
    },
  ) {}

  async tick(): Promise<number> {
    const { sessions, provisioner, service, clock, log } = this.deps;
    const now = clock.now().getTime();
    let n = 0;
    const requested = await sessions.stale(
      ['requested'],
      new Date(now - (this.deps.requestedAfterMs ?? 10_000)),
    );
    const starting = await sessions.stale(
      ['provisioning', 'starting'],
      new Date(now - (this.deps.startingAfterMs ?? 120_000)),
    );
    const orphaned = await sessions.orphanedLaunches(['provisioning', 'starting']);
    const seen = new Set<string>();
    for (const s of [...orphaned, ...requested, ...starting]) {
      if (seen.has(s.id) || provisioner.isDriving(s.id)) continue;
      seen.add(s.id);
      log.info({ sessionId: s.id, state: s.state }, 'resuming an interrupted launch');
      provisioner.start(s.id, startingSessionStates);
      n += 1;
    }
    for (const s of await sessions.stale(['deleting'], new Date(now - 30_000))) {
      await service.delete('system', s.id, s.state_reason ?? 'deleted').catch(() => undefined);
      n += 1;
    }
    return n;
  }
}

/** Runs each loop on its own timer; a slow or failing loop never blocks another. */
export class Manager {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<string>();

  constructor(
    private readonly loops: Array<{ loop: Loop; everyMs: number }>,
    private readonly log: LoopLog,
  ) {}

  start(): void {
    for (const { loop, everyMs } of this.loops) {
      const t = setInterval(() => void this.runOnce(loop), everyMs);
      t.unref();
      this.timers.push(t);
    }
  }

  async runOnce(loop: Loop): Promise<void> {
    if (this.running.has(loop.name)) return;
    this.running.add(loop.name);
    try {
      await loop.tick();
    } catch (err) {
      this.log.warn(
        { loop: loop.name, err: err instanceof Error ? err.message : String(err) },
        'manager loop failed',
      );
    } finally {
      this.running.delete(loop.name);
    }
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }
}
