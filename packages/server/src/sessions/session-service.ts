import {
  type AgentExec,
  type EffectiveSettings,
  liveSessionStates,
  type SessionAction,
  type SessionCreate,
  type SessionEnvironment,
  type SessionEvent,
  type SessionState,
  type SessionView,
  sessionActions,
} from '@porthole/contracts';
import type { AgentClient } from '../agents/agent-client.js';
import type { AgentRepo } from '../agents/agent-repo.js';
import { agentCapacity, engineReachable, isOnline } from '../agents/agent-view.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, UnavailableError } from '../errors.js';
import type { EventHub } from '../events/domain-events.js';
import type { Caller } from '../http/caller.js';
import type { Clock } from '../platform/clock.js';
import { newId } from '../platform/crypto.js';
import { mayManage } from '../policies/session-access.js';
import { type LaunchKind, type LaunchMetrics, noLaunchMetrics } from './launch-metrics.js';
import type { LaunchImage, LaunchRepo, PlacementUnitOfWork } from './launch-repo.js';
import { type PlacementAgent, place } from './placement.js';
import type { Provisioner } from './provisioner.js';
import { checkSessionEnvironment } from './session-environment.js';
import type { SessionFilter, SessionRepo, SessionRow } from './session-repo.js';
import { toSessionView } from './session-view.js';

export interface SessionPolicyLookup {
  forUser(userId: string): Promise<EffectiveSettings>;
  allowedImageIds(userId: string): Promise<Set<string>>;
}

export interface SessionServiceDeps {
  sessions: SessionRepo;
  agents: AgentRepo;
  launch: LaunchRepo;
  client: AgentClient;
  provisioner: Provisioner;
  policy: SessionPolicyLookup;
  clock: Clock;
  checkinSeconds: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Hears `sessionEnded` once a session is deleted (sharing clears its chat and disconnects joiners). */
  events?: Pick<EventHub, 'emit'>;
  /** Launches started, failed and their time to running (none recorded when absent). */
  metrics?: LaunchMetrics;
}

type Action = SessionAction;

/**
 * What a launch takes. `environment` is not part of the native `POST /api/sessions` body: only the
 * developer API (`request_kasm`) passes it, for provisioning integrations.
 */
export type SessionLaunch = SessionCreate & { environment?: SessionEnvironment | undefined };

export class SessionService {
  private readonly metrics: LaunchMetrics;

  constructor(private readonly deps: SessionServiceDeps) {
    this.metrics = deps.metrics ?? noLaunchMetrics;
  }

  async launch(caller: Caller, input: SessionLaunch): Promise<SessionView> {
    const { launch, policy, clock } = this.deps;
    checkSessionEnvironment(input.environment);
    const environment =
      input.environment && Object.keys(input.environment).length > 0 ? input.environment : null;
    const image = await launch.image(input.imageId);
    if (!image) throw new NotFoundError(`no workspace ${input.imageId}`);
    if (!image.enabled) throw new ForbiddenError(`workspace ${image.name} is disabled`);
    if (!(await policy.allowedImageIds(caller.userId)).has(image.id)) {
      throw new ForbiddenError(`you may not launch workspace ${image.name}`);
    }
    const settings = await policy.forUser(caller.userId);
    const now = clock.now();
    const terms = {
      keepaliveSeconds: settings.keepalive_expiration,
      keepaliveAction: settings.keepalive_expiration_action,
      expiresAt:
        settings.session_time_limit > 0 ? new Date(now.getTime() + settings.session_time_limit * 1000) : null,
      url: input.url ?? null,
    };

    // Known once the transaction chose staged or fresh; a refusal before that is no launch.
    let kind: LaunchKind | undefined;
    const placing = launch.placementTransaction(async (tx) => {
      const l = tx.launch;
      const held = await tx.sessions.countLiveForUser(caller.userId);
      if (held >= settings.max_sessions_per_user) {
        throw new ConflictError(
          `you already have ${held} sessions; the limit is ${settings.max_sessions_per_user}`,
          {
            limit: settings.max_sessions_per_user,
          },
        );
      }
      // A staged container already runs with its environment fixed: a session that needs its own
      // variables gets a fresh container.
      const staged = environment ? undefined : await l.claimStaged(image.id, input.zoneId);
      if (staged) {
        kind = 'staged';
        await l.assignStaged(staged.id, { userId: caller.userId, ...terms }, now);
        return { id: staged.id, staged: true };
      }
      kind = 'on_demand';
      const placed = await this.placeIn(tx, image, input.zoneId);
      const sessionId = newId();
      await tx.sessions.insert({
        id: sessionId,
        userId: caller.userId,
        imageId: image.id,
        agentId: placed.agentId,
        zoneId: placed.zoneId,
        stagingId: null,
        cores: image.cores,
        memoryMb: image.memory_mb,
        environment,
        now,
        ...terms,
      });
      return { id: sessionId, staged: false };
    });
    const id = await placing.catch((err: unknown) => {
      // No agent could take it (capacity, zone, image missing): a launch that failed.
      if (kind) {
        this.metrics.launchStarted(kind);
        this.metrics.launchFailed(kind);
      }
      throw err;
    });
    this.metrics.launchStarted(id.staged ? 'staged' : 'on_demand');
    if (id.staged) this.metrics.launchRunning('staged', (clock.now().getTime() - now.getTime()) / 1000);
    // The answer shows the session as created (`requested`, or `running` when staged): read
    // before the provisioner starts, so its first step cannot race into the response.
    const view = await this.view(id.id);
    if (!id.staged) this.deps.provisioner.start(id.id);
    this.deps.log.info(
      { sessionId: id.id, userId: caller.userId, image: image.name, staged: id.staged },
      'session launched',
    );
    return view;
  }

  /** Starts a standby session for a staging pool (no owner yet). */
  async launchStaged(stagingId: string, imageId: string, zoneId: string): Promise<string> {
    const image = await this.deps.launch.image(imageId);
    if (!image?.enabled) throw new InvalidError(`workspace ${imageId} is missing or disabled`);
    const now = this.deps.clock.now();
    const id = await this.deps.launch.placementTransaction(async (tx) => {
      const placed = await this.placeIn(tx, image, zoneId, true);
      const sessionId = newId();
      await tx.sessions.insert({
        id: sessionId,
        userId: null,
        imageId,
        agentId: placed.agentId,
        zoneId: placed.zoneId,
        stagingId,
        cores: image.cores,
        memoryMb: image.memory_mb,
        url: null,
        keepaliveSeconds: 3600,
        keepaliveAction: 'delete',
        expiresAt: null,
        now,
      });
      return sessionId;
    });
    this.deps.provisioner.start(id);
    return id;
  }

  private async placeIn(
    tx: PlacementUnitOfWork,
    image: LaunchImage,
    zoneId: string | undefined,
    stayInZone = false,
  ) {
    const { launch, agents } = tx;
    const [zones, rows, alloc] = await Promise.all([launch.zones(), agents.list(), agents.allocations()]);
    // No zone asked for: a workspace restricted to a zone runs there, others in the default zone.
    const target = zoneId ?? image.zone_id ?? zones.find((z) => z.isDefault)?.id;
    if (!target || !zones.some((z) => z.id === target)) {
      throw new InvalidError(`zoneId: no zone ${zoneId ?? '(default)'}`, { issues: [{ field: 'zoneId' }] });
    }
    const now = this.deps.clock.now();
    const snapshot: PlacementAgent[] = rows.map((a) => {
      const cap = agentCapacity(a);
      const pulled = a.images.find((i) => i.ref === image.docker_image);
      return {
        id: a.id,
        name: a.name,
        zoneId: a.zone_id,
        enabled: a.enabled,
        draining: a.draining,
        online: isOnline(a, now, this.deps.checkinSeconds),
        engineReachable: engineReachable(a),
        coresTotal: cap.cores,
        memoryMbTotal: cap.memoryMb,
        coresAllocated: alloc.get(a.id)?.cores ?? 0,
        memoryMbAllocated: alloc.get(a.id)?.memory_mb ?? 0,
        image: pulled?.state ?? 'missing',
      };
    });
    const zoneView = stayInZone ? zones.map((z) => ({ ...z, searchAlternateZones: false })) : zones;
    const result = place(
      {
        cores: image.cores,
        memoryMb: image.memory_mb,
        imageRef: image.docker_image,
        zoneId: target,
        restrictZoneId: image.zone_id,
        restrictAgentId: image.agent_id,
      },
      snapshot,
      zoneView,
    );
    if (!result.ok) throw new UnavailableError(result.reason);
    return result;
  }

  async list(caller: Caller): Promise<SessionView[]> {
    return (await this.deps.sessions.list({ userId: caller.userId })).map(toSessionView);
  }

  async adminList(filter: SessionFilter): Promise<SessionView[]> {
    return (await this.deps.sessions.list(filter)).map(toSessionView);
  }

  async get(caller: Caller, id: string): Promise<SessionView> {
    await this.owned(caller, id);
    return this.view(id);
  }

  async events(caller: Caller, id: string): Promise<SessionEvent[]> {
    await this.owned(caller, id);
    return (await this.deps.sessions.events(id)).map((e) => ({
      state: e.state as SessionState,
      reason: e.reason,
      at: e.at.toISOString(),
    }));
  }

  async keepalive(caller: Caller, id: string): Promise<SessionView> {
    const row = await this.owned(caller, id);
    if (row.ended_at) throw new ConflictError(`session is ${row.state}`);
    await this.deps.sessions.keepalive(id, this.deps.clock.now());
    return this.view(id);
  }

  async act(caller: Caller | 'system', id: string, action: Action, reason?: string): Promise<SessionView> {
    const row = caller === 'system' ? await this.mustFind(id) : await this.owned(caller, id);
    if (caller !== 'system' && !caller.isAdmin && row.user_id) {
      const settings = await this.deps.policy.forUser(row.user_id);
      const allowed = action === 'stop' ? settings.allow_stop : settings.allow_pause || action === 'resume';
      if (!allowed) throw new ForbiddenError(`your groups do not allow you to ${action} sessions`);
    }
    const plan = sessionActions[action];
    const { sessions, clock, client } = this.deps;
    const agent = await this.agentOf(row);
    const claimed = await sessions.transition(id, plan.from, plan.via, reason ?? null, clock.now());
    if (!claimed) throw new ConflictError(`cannot ${action} a session that is ${row.state}`);
    try {
      await client.action(agent, id, action);
      if (action === 'resume' && row.state === 'stopped') await client.ready(agent, id, 90_000);
      const now = clock.now();
      await sessions.transition(
        id,
        [plan.via],
        plan.to,
        reason ?? null,
        now,
        // A resume is the owner at work: it counts as a keepalive, or a session stopped for an
        // expired keepalive would be stopped again by the next expiry tick.
        action === 'resume' ? { running_at: now, keepalive_at: now } : {},
      );
    } catch (err) {
      // The agent did not do it: go back to where we were, with its message as the reason.
      await sessions.transition(
        id,
        [plan.via],
        row.state as SessionState,
        `${action} failed: ${(err as Error).message}`,
        clock.now(),
      );
      throw new UnavailableError(`could not ${action} the session: ${(err as Error).message}`);
    }
    return this.view(id);
  }

  async delete(caller: Caller | 'system', id: string, reason = 'deleted by owner'): Promise<void> {
    const row = caller === 'system' ? await this.mustFind(id) : await this.owned(caller, id);
    if (row.ended_at) return;
    const { sessions, clock, client, log } = this.deps;
    // A delete that a crash interrupted (`deleting`) may be finished by another.
    const live: readonly SessionState[] = [...liveSessionStates, 'deleting'];
    const claimed = await sessions.transition(id, live, 'deleting', reason, clock.now());
    if (!claimed) return;
    if (claimed.agent_id) {
      const agent = await this.deps.agents.find(claimed.agent_id);
      // An unreachable agent is fine: its next check-in learns the session is gone and removes it.
      if (agent)
        await client
          .destroy({ id: agent.id, url: agent.url }, id)
          .catch((err) =>
            log.warn({ sessionId: id, err: (err as Error).message }, 'agent did not confirm delete'),
          );
    }
    await sessions.transition(id, ['deleting'], 'deleted', reason, clock.now());
    await this.deps.events?.emit('sessionEnded', { sessionId: id });
  }

  /**
   * Starts a command in a running session's container and returns once the agent accepted it,
   * without waiting for it to finish (the developer API's exec_command_kasm).
   */
  async exec(id: string, body: AgentExec): Promise<void> {
    const row = await this.mustFind(id);
    if (row.state !== 'running')
      throw new ConflictError(`cannot run a command in a session that is ${row.state}`);
    const agent = await this.agentOf(row);
    try {
      await this.deps.client.exec(agent, id, body, false);
    } catch (err) {
      throw new UnavailableError(`could not run the command: ${(err as Error).message}`);
    }
    this.deps.log.info({ sessionId: id }, 'command started in session');
  }

  async destroyAllOnAgent(agentId: string): Promise<void> {
    for (const s of await this.deps.sessions.liveOnAgent(agentId))
      await this.delete('system', s.id, 'agent deleted');
  }

  async deleteAllForUser(userId: string): Promise<void> {
    for (const s of await this.deps.sessions.list({ userId }))
      await this.delete('system', s.id, 'user deleted');
  }

  async view(id: string): Promise<SessionView> {
    const row = await this.deps.sessions.findView(id);
    if (!row) throw new NotFoundError(`no session ${id}`);
    return toSessionView(row);
  }

  private async mustFind(id: string): Promise<SessionRow> {
    const row = await this.deps.sessions.find(id);
    if (!row) throw new NotFoundError(`no session ${id}`);
    return row;
  }

  /** Other people's sessions answer 404, not 403: their existence is not the caller's business. */
  private async owned(caller: Caller, id: string): Promise<SessionRow> {
    const row = await this.deps.sessions.find(id);
    if (!row || !mayManage(caller, row)) throw new NotFoundError(`no session ${id}`);
    return row;
  }

  private async agentOf(row: SessionRow): Promise<{ id: string; url: string }> {
    const agent = row.agent_id ? await this.deps.agents.find(row.agent_id) : undefined;
    if (!agent) throw new UnavailableError('the session has no agent');
    return { id: agent.id, url: agent.url };
  }
}
