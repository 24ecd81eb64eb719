import { timingSafeEqual } from 'node:crypto';
import type {
  AgentCheckinRequest,
  AgentCheckinResponse,
  AgentRegisterRequest,
  AgentRegisterResponse,
  AgentUpdate,
  AgentView,
  PendingDisconnect,
} from '@porthole/contracts';
import type { GrantIssuer } from '@porthole/stream';
import type { AuditContext } from '../audit/audit-context.js';
import { diff } from '../audit/audit-rules.js';
import { ConflictError, InvalidError, NotFoundError, UnauthorizedError } from '../errors.js';
import type { EventHub } from '../events/domain-events.js';
import type { Clock } from '../platform/clock.js';
import { newId, randomToken, safeEqual, sha256 } from '../platform/crypto.js';
import type { AgentHealth } from './agent-health.js';
import type { AgentRepo, AgentRow } from './agent-repo.js';
import { isOnline, toAgentView } from './agent-view.js';
import type { RegistrationTokens } from './grant-keys.js';

/**
 * Reconciles the database's sessions with an agent's check-in report (sessions/checkin-reconciler.ts):
 * which containers the agent should remove, and which sessions changed state.
 */
export interface CheckinReconciler {
  reconcile(
    agent: { id: string; name: string },
    report: AgentCheckinRequest,
  ): Promise<{
    removeSessions: string[];
    changed: Array<{ sessionId: string; from: string; to: string; reason: string }>;
  }>;
}

/** What check-in handling reports to the metrics (metrics/server-metrics.ts implements it). */
export interface CheckinMetrics {
  /** The server's side of one check-in, from authenticated request to answer. */
  checkinHandled(seconds: number): void;
}

export interface AgentServiceDeps {
  agents: AgentRepo;
  tokens: RegistrationTokens;
  signer: GrantIssuer;
  reconciler: CheckinReconciler;
  health: Pick<AgentHealth, 'checkedIn'>;
  clock: Clock;
  checkinSeconds: number;
  /**
   * Disconnects the agent missed: forgets those it confirmed (`applied`), returns the rest for the
   * check-in answer (sharing/pending-disconnect-repo.ts).
   */
  pendingDisconnects?: {
    exchange(agentId: string, applied: readonly string[]): Promise<PendingDisconnect[]>;
  };
  /** Hears `agentDeleting` before a forced delete, so the agent's sessions are destroyed first. */
  events?: Pick<EventHub, 'emit'>;
  log?: { info(obj: object, msg: string): void };
  metrics?: CheckinMetrics;
}

/** What an admin sets on an agent, as the audit log compares it. */
function snapshot(a: AgentRow | undefined): Record<string, unknown> | null {
  if (!a) return null;
  return {
    name: a.name,
    zoneId: a.zone_id,
    enabled: a.enabled,
    draining: a.draining,
    coresOverride: a.cores_override,
    memoryMbOverride: a.memory_mb_override,
  };
}

export class AgentService {
  constructor(private readonly deps: AgentServiceDeps) {}

  async register(req: AgentRegisterRequest): Promise<AgentRegisterResponse> {
    const { agents, tokens, signer } = this.deps;
    const expected = Buffer.from((await tokens.current()).token);
    const given = Buffer.from(req.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedError('registration token is not valid');
    }
    let zoneId: string | undefined;
    if (req.zone) {
      zoneId = await agents.zoneIdByName(req.zone);
      if (!zoneId) throw new InvalidError(`zone: no zone named ${req.zone}`, { issues: [{ field: 'zone' }] });
    } else zoneId = await agents.defaultZoneId();
    if (!zoneId) throw new ConflictError('no default zone exists');

    const secret = randomToken(32);
    const existing = await agents.findByName(req.name);
    const common = {
      url: req.url,
      secretHash: sha256(secret),
      hostname: req.hostname ?? null,
      version: req.version,
    };
    let agentId: string;
    if (existing) {
      // The agent lost its state (new disk, reinstall): same name, same row, new secret.
      agentId = existing.id;
      await agents.reRegister(agentId, common);
      if (existing.zone_id !== zoneId && req.zone) await agents.update(agentId, { zone_id: zoneId });
    } else {
      agentId = newId();
      await agents.insert({ id: agentId, name: req.name, zoneId, ...common });
    }
    this.deps.log?.info({ agentId, name: req.name, zoneId }, 'agent registered');
    return {
      agentId,
      secret,
      zoneId: existing && !req.zone ? existing.zone_id : zoneId,
      grantPublicKey: signer.publicKeyPem,
    };
  }

  async authenticate(authorization: string | undefined): Promise<AgentRow> {
    const m = /^Agent ([0-9a-f-]{36}):(\S+)$/i.exec(authorization ?? '');
    if (!m?.[1] || !m[2]) throw new UnauthorizedError('agent credentials required');
    const agent = await this.deps.agents.find(m[1]);
    if (!agent || !safeEqual(agent.secret_hash, sha256(m[2])))
      throw new UnauthorizedError('agent credentials are not valid');
    return agent;
  }

  async checkin(agent: AgentRow, report: AgentCheckinRequest): Promise<AgentCheckinResponse> {
    const started = performance.now();
    try {
      return await this.handleCheckin(agent, report);
    } finally {
      this.deps.metrics?.checkinHandled((performance.now() - started) / 1000);
    }
  }

  /** Agents online now, by the rule the admin list shows (agent-view.ts `isOnline`). */
  async onlineCount(): Promise<number> {
    const now = this.deps.clock.now();
    const rows = await this.deps.agents.list();
    return rows.filter((a) => isOnline(a, now, this.deps.checkinSeconds)).length;
  }

  private async handleCheckin(agent: AgentRow, report: AgentCheckinRequest): Promise<AgentCheckinResponse> {
    const { agents, reconciler, clock } = this.deps;
    const now = clock.now();
    await agents.recordCheckin(agent.id, now, {
      resources: { ...report.resources, ...(report.engine ? { engine: report.engine } : {}) },
      images: report.images,
      version: report.version,
    });
    this.deps.health.checkedIn(agent);
    const { removeSessions, changed } = await reconciler.reconcile(agent, report);
    for (const c of changed)
      this.deps.log?.info({ agentId: agent.id, ...c }, 'session reconciled with agent report');
    const images = await agents.desiredImageRefs(agent.id, agent.zone_id);
    const disconnects =
      (await this.deps.pendingDisconnects?.exchange(agent.id, report.appliedDisconnects ?? [])) ?? [];
    return {
      images: images.map((ref) => ({ ref })),
      removeSessions,
      disconnects,
      checkinIntervalSeconds: this.deps.checkinSeconds,
      grantPublicKey: this.deps.signer.publicKeyPem,
    };
  }

  async list(): Promise<AgentView[]> {
    const [rows, alloc] = await Promise.all([this.deps.agents.list(), this.deps.agents.allocations()]);
    const now = this.deps.clock.now();
    return rows.map((a) => toAgentView(a, alloc.get(a.id), now, this.deps.checkinSeconds));
  }

  /** Each agent's host name, as it reported it at registration (null when it sent none). */
  async hostnames(): Promise<Map<string, string | null>> {
    return new Map((await this.deps.agents.list()).map((a) => [a.id, a.hostname]));
  }

  async get(id: string): Promise<AgentView> {
    const a = await this.deps.agents.find(id);
    if (!a) throw new NotFoundError(`no agent ${id}`);
    const alloc = await this.deps.agents.allocations();
    return toAgentView(a, alloc.get(id), this.deps.clock.now(), this.deps.checkinSeconds);
  }

  async update(id: string, patch: AgentUpdate, ctx: AuditContext): Promise<AgentView> {
    if (patch.zoneId) {
      if (!(await this.deps.agents.zoneExists(patch.zoneId)))
        throw new InvalidError(`zoneId: no zone ${patch.zoneId}`, { issues: [{ field: 'zoneId' }] });
    }
    const set: Parameters<AgentRepo['update']>[1] = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.zoneId !== undefined) set.zone_id = patch.zoneId;
    if (patch.enabled !== undefined) set.enabled = patch.enabled;
    if (patch.draining !== undefined) set.draining = patch.draining;
    if (patch.coresOverride !== undefined) set.cores_override = patch.coresOverride;
    if (patch.memoryMbOverride !== undefined) set.memory_mb_override = patch.memoryMbOverride;
    try {
      await this.deps.agents.transaction(async (tx, audit) => {
        const before = snapshot(await tx.find(id));
        if (!(await tx.update(id, set))) throw new NotFoundError(`no agent ${id}`);
        const changes = diff(before, snapshot(await tx.find(id)));
        // Draining on its own is the operator's "empty this host" and gets its own action.
        const onlyDrain = Object.keys(changes).length === 1 && changes.draining !== undefined;
        await audit.record(ctx, {
          action: onlyDrain ? 'agent.drain' : 'agent.update',
          resourceType: 'agent',
          resourceId: id,
          diff: changes,
        });
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new ConflictError(`an agent named ${patch.name} exists`);
      throw err;
    }
    return this.get(id);
  }

  async delete(id: string, force: boolean, ctx: AuditContext): Promise<void> {
    const view = await this.get(id);
    if (view.sessionCount > 0) {
      if (!force) {
        throw new ConflictError(
          `agent ${view.name} has ${view.sessionCount} sessions; drain it or delete with force=true`,
          {
            sessionCount: view.sessionCount,
          },
        );
      }
      await this.deps.events?.emit('agentDeleting', { agentId: id });
    }
    await this.deps.agents.transaction(async (tx, audit) => {
      const before = snapshot(await tx.find(id));
      await tx.delete(id);
      await audit.record(ctx, {
        action: 'agent.delete',
        resourceType: 'agent',
        resourceId: id,
        diff: diff(before, null),
        details: { force, sessionCount: view.sessionCount },
      });
    });
  }

  /**
   * Where the server reaches an agent. `porthole up` calls this at every start because its
   * in-process agent listens on a fresh loopback port each time.
   */
  async setUrl(agentId: string, url: string): Promise<void> {
    if (!(await this.deps.agents.update(agentId, { url }))) throw new NotFoundError(`no agent ${agentId}`);
  }

  registrationToken() {
    return this.deps.tokens.current();
  }

  rotateRegistrationToken(ctx: AuditContext) {
    return this.deps.tokens.rotate(ctx);
  }
}
