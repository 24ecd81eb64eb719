import type { AgentCheckinRequest, AgentCheckinResponse, AgentDisconnect } from '@porthole/contracts';
import type { Logger } from 'pino';
import type { PullScheduler } from '../images/pull-scheduler.js';
import type { EngineMonitor } from '../runtime/engine-monitor.js';
import type { SessionReconciler } from '../sessions/reconciler.js';
import type { SessionRegistry } from '../sessions/registry.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AgentIdentity, IdentityStore } from '../state/identity-store.js';
import { errorMessage } from '../util/errors.js';
import { buildCheckinRequest } from './payload.js';
import type { ResourceSampler } from './resources.js';

export interface CheckinHandlerDeps {
  /** The identity as registered; a rotated grant key is saved over it. */
  identity: AgentIdentity;
  store: Pick<IdentityStore, 'save'>;
  /** The grant key the API and the gateway check against. */
  grants: { setPublicKey(pem: string): void };
  reconciler: Pick<SessionReconciler, 'reconcile'>;
  registry: Pick<SessionRegistry, 'list' | 'report'>;
  sessions: Pick<SessionService, 'destroy'>;
  sampler: Pick<ResourceSampler, 'sample'>;
  pulls: Pick<PullScheduler, 'report' | 'setDesired'>;
  streams: { disconnect(sessionId: string, target: AgentDisconnect, beforeMs?: number): number };
  logger: Logger;
  version: string;
  /** Asked before each report, so the server hears about an engine outage even with no pull running. */
  engine?: Pick<EngineMonitor, 'probe'>;
}

/**
 * What a check-in says and what the agent does with the answer: the report is built from live
 * state each time, and the answer's disconnects, grant key, wanted images and removals are carried
 * out. The check-in loop decides when; this decides what.
 */
export class CheckinHandler {
  private identity: AgentIdentity;
  /**
   * Pending disconnects carried out, confirmed with the next check-in; `confirming` were sent with
   * the check-in in flight and are forgotten once it is answered.
   */
  private readonly appliedDisconnects = new Set<string>();
  private confirming: string[] = [];

  constructor(private readonly deps: CheckinHandlerDeps) {
    this.identity = deps.identity;
  }

  /** The report; a Docker outage yields what is known rather than no check-in at all. */
  async gather(): Promise<AgentCheckinRequest> {
    const { reconciler, registry, logger } = this.deps;
    await reconciler.reconcile().catch((error: unknown) => {
      logger.debug({ err: errorMessage(error) }, 'reconcile before check-in failed; reporting what is known');
    });
    const running = registry
      .list()
      .filter((r) => r.state === 'running')
      .map((r) => r.containerId);
    this.confirming = [...this.appliedDisconnects];
    const resources = await this.deps.sampler.sample(running);
    const engine = await this.deps.engine?.probe(resources.dockerVersion);
    return buildCheckinRequest({
      version: this.deps.version,
      resources,
      sessions: registry.report(),
      images: this.deps.pulls.report(),
      ...(engine ? { engine } : {}),
      appliedDisconnects: this.confirming,
    });
  }

  async apply(answer: AgentCheckinResponse): Promise<void> {
    const { logger } = this.deps;
    for (const id of this.confirming) this.appliedDisconnects.delete(id);
    this.confirming = [];
    for (const d of answer.disconnects) {
      this.deps.streams.disconnect(d.sessionId, d.target, d.beforeMs);
      this.appliedDisconnects.add(d.id);
    }
    if (answer.grantPublicKey !== this.identity.grantPublicKey) {
      this.deps.grants.setPublicKey(answer.grantPublicKey);
      this.identity = { ...this.identity, grantPublicKey: answer.grantPublicKey };
      // Saved so a restart while the server is unreachable still honours current grants.
      await this.deps.store.save(this.identity);
      logger.info('the server rotated its grant key');
    }
    this.deps.pulls.setDesired(answer.images.map((image) => image.ref));
    for (const sessionId of answer.removeSessions) {
      await this.deps.sessions
        .destroy(sessionId, 'the server no longer knows this session')
        .catch((error: unknown) => {
          logger.warn({ sessionId, err: errorMessage(error) }, 'could not remove a session container');
        });
    }
  }
}
