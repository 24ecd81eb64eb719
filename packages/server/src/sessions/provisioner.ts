import type { SessionState } from '@porthole/contracts';
import type { AgentCallError, AgentClient } from '../agents/agent-client.js';
import type { AgentRepo } from '../agents/agent-repo.js';
import type { Clock } from '../platform/clock.js';
import { type LaunchMetrics, noLaunchMetrics } from './launch-metrics.js';
import type { LaunchRepo } from './launch-repo.js';
import type { SessionRepo, SessionRow } from './session-repo.js';

export interface ProvisionerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const READY_TIMEOUT_MS = 90_000;

/**
 * Drives a session from `requested` to `running` on its agent. Every step is a conditional
 * transition, so a second replica (or a restarted one) can take over without doing it twice,
 * and the agent's create is idempotent on the session id.
 */
export class Provisioner {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly deps: {
      sessions: SessionRepo;
      agents: AgentRepo;
      launch: LaunchRepo;
      client: AgentClient;
      clock: Clock;
      log: ProvisionerLog;
      /** This process's lease key (manager/driver-lease.ts), stamped on the launches it drives. */
      driverKey?: () => number | null;
      /** On-demand launches reaching running or failing; a staging pool's standbys are no launch. */
      metrics?: LaunchMetrics;
    },
  ) {}

  private get metrics(): LaunchMetrics {
    return this.deps.metrics ?? noLaunchMetrics;
  }

  /** Fire and forget: the caller has already answered the browser. */
  start(sessionId: string, from: readonly SessionState[] = ['requested']): void {
    void this.provision(sessionId, from);
  }

  isDriving(sessionId: string): boolean {
    return this.inFlight.has(sessionId);
  }

  async provision(sessionId: string, from: readonly SessionState[] = ['requested']): Promise<SessionState> {
    if (this.inFlight.has(sessionId)) return 'provisioning';
    this.inFlight.add(sessionId);
    try {
      return await this.run(sessionId, from);
    } finally {
      this.inFlight.delete(sessionId);
    }
  }

  private async run(sessionId: string, from: readonly SessionState[]): Promise<SessionState> {
    const { sessions, agents, launch, client, clock, log } = this.deps;
    const claimed = await sessions.transition(sessionId, from, 'provisioning', null, clock.now(), {
      driver_key: this.deps.driverKey?.() ?? null,
    });
    if (!claimed) return (await sessions.find(sessionId))?.state as SessionState;
    const agent = claimed.agent_id ? await agents.find(claimed.agent_id) : undefined;
    const image = await launch.image(claimed.image_id);
    if (!agent || !image)
      return this.fail(claimed, 'the agent or workspace was removed before the session started');
    const owner = claimed.user_id
      ? await sessions
          .findView(sessionId)
          .then((v) => ({ id: claimed.user_id ?? '', name: v?.username ?? '' }))
      : { id: 'staging', name: '' };
    const addr = { id: agent.id, url: agent.url };
    try {
      const rc = image.run_config as { environment?: Record<string, string>; pidsLimit?: number };
      const created = await client.create(addr, {
        sessionId,
        ownerId: owner.id,
        ownerName: owner.name,
        image: { ref: image.docker_image, name: image.name },
        cores: claimed.cores,
        memoryBytes: claimed.memory_mb * 1024 * 1024,
        shmBytes: image.shm_mb * 1024 * 1024,
        network: image.network,
        url: claimed.url,
        ...environmentOf(rc.environment, claimed.environment),
      });
      await sessions.clearEnvironment(sessionId);
      const starting = await sessions.transition(sessionId, ['provisioning'], 'starting', null, clock.now(), {
        container_id: created.containerId,
      });
      if (!starting) return this.abandoned(addr, sessionId);
      const { readyMs } = await client.ready(addr, sessionId, READY_TIMEOUT_MS);
      const now = clock.now();
      const running = await sessions.transition(sessionId, ['starting'], 'running', null, now, {
        running_at: now,
      });
      if (!running) return this.abandoned(addr, sessionId);
      // Measured from the request (the row's creation), so placement and the image pull count too.
      if (claimed.user_id)
        this.metrics.launchRunning('on_demand', (now.getTime() - claimed.created_at.getTime()) / 1000);
      log.info({ sessionId, agentId: agent.id, readyMs }, 'session running');
      return 'running';
    } catch (err) {
      const message = (err as AgentCallError).message ?? String(err);
      log.warn({ sessionId, agentId: agent.id, err: message }, 'session failed to start');
      await client.destroy(addr, sessionId).catch(() => undefined);
      return this.fail(claimed, `agent ${agent.name}: ${message}`);
    }
  }

  private async fail(row: SessionRow, reason: string): Promise<SessionState> {
    await this.deps.sessions.clearEnvironment(row.id).catch(() => undefined);
    await this.deps.sessions.transition(
      row.id,
      ['provisioning', 'starting'],
      'error',
      reason,
      this.deps.clock.now(),
    );
    if (row.user_id) this.metrics.launchFailed('on_demand');
    return 'error';
  }

  /** The session was deleted while it started: make sure its container goes too. */
  private async abandoned(addr: { id: string; url: string }, sessionId: string): Promise<SessionState> {
    const row = await this.deps.sessions.find(sessionId);
    if (row?.ended_at) await this.deps.client.destroy(addr, sessionId).catch(() => undefined);
    return (row?.state as SessionState) ?? 'deleted';
  }
}

/**
 * The image's environment, then the session's own on top: the request names one session, so it is
 * the more specific of the two (its reserved names were refused when it was made).
 */
function environmentOf(
  image: Record<string, string> | undefined,
  session: Record<string, string> | null,
): { environment?: Record<string, string> } {
  const merged = { ...(image ?? {}), ...(session ?? {}) };
  return Object.keys(merged).length > 0 ? { environment: merged } : {};
}
