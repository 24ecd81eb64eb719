import type { Logger } from 'pino';
import type { ContainerEvent, ContainerInfo, ContainerRuntime } from '../runtime/container-runtime.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { agentSessionSelector, SESSION_LABELS } from './container-spec.js';
import type { SessionRecord, SessionRegistry } from './registry.js';

export interface SessionReconcilerDeps {
  runtime: Pick<ContainerRuntime, 'list' | 'inspect'>;
  registry: SessionRegistry;
  agentId: string;
  logger: Logger;
}

/** Containers with the same session label: prefer the one that can serve, then the newest. */
function rank(info: ContainerInfo): number {
  return info.state === 'running' ? 3 : info.state === 'paused' ? 2 : info.state === 'created' ? 1 : 0;
}

/**
 * Keeps the registry equal to what Docker runs under this agent's label: a full pass at start,
 * before each check-in and after every event-stream reconnect (events may have been missed), and
 * a single-container refresh on each event.
 */
export class SessionReconciler {
  private current: Promise<void> | null = null;
  private pending: Promise<void> | null = null;
  private readonly perContainer = new KeyedMutex();

  constructor(private readonly deps: SessionReconcilerDeps) {}

  /** Concurrent callers share passes: at most one runs and one more is queued behind it. */
  reconcile(): Promise<void> {
    if (!this.current) {
      this.current = this.pass().finally(() => {
        this.current = null;
      });
      return this.current;
    }
    if (!this.pending) {
      this.pending = this.current
        .catch(() => undefined)
        .then(() => {
          this.pending = null;
          return this.reconcile();
        });
    }
    return this.pending;
  }

  /** Event handler for the runtime's events subscription. */
  handleEvent(event: ContainerEvent): void {
    this.refresh(event.containerId).catch((error: unknown) => {
      this.deps.logger.warn(
        {
          sessionId: event.labels[SESSION_LABELS.session],
          containerId: event.containerId,
          err: error instanceof Error ? error.message : String(error),
        },
        'could not refresh session container after an event',
      );
    });
  }

  /** Re-reads one container; applied in call order per container so a slow answer never wins. */
  refresh(containerId: string): Promise<SessionRecord | null> {
    return this.perContainer.run(containerId, async () => {
      const info = await this.deps.runtime.inspect(containerId);
      if (!info || info.labels[SESSION_LABELS.agent] !== this.deps.agentId) {
        const gone = this.deps.registry.findByContainer(containerId);
        if (gone && this.deps.registry.remove(gone.sessionId, containerId)) {
          this.deps.logger.info({ sessionId: gone.sessionId, containerId }, 'session container removed');
        }
        return null;
      }
      return this.apply(info);
    });
  }

  private async pass(): Promise<void> {
    const { registry, runtime, agentId, logger } = this.deps;
    const since = registry.version;
    const containers = await runtime.list({ labels: agentSessionSelector(agentId) });
    const bySession = new Map<string, ContainerInfo>();
    for (const info of containers) {
      const sessionId = info.labels[SESSION_LABELS.session];
      if (!sessionId) continue;
      const other = bySession.get(sessionId);
      if (other) {
        logger.warn(
          { sessionId, containerId: info.id, otherContainerId: other.id },
          'two containers carry the same session label; reporting the one that can serve',
        );
        if (rank(other) >= rank(info)) continue;
      }
      bySession.set(sessionId, info);
    }
    for (const [sessionId, info] of bySession) {
      const known = registry.get(sessionId);
      // Changed by a request or an event while we listed: that is newer than our list.
      if (known && known.version > since) continue;
      this.apply(info);
    }
    for (const record of registry.list()) {
      if (bySession.has(record.sessionId) || record.version > since) continue;
      registry.remove(record.sessionId, record.containerId);
      logger.warn(
        { sessionId: record.sessionId, containerId: record.containerId },
        'session container is gone',
      );
    }
  }

  private apply(info: ContainerInfo): SessionRecord | null {
    const sessionId = info.labels[SESSION_LABELS.session];
    const before = sessionId ? this.deps.registry.get(sessionId) : undefined;
    const record = this.deps.registry.applyContainer(info);
    if (!record) return null;
    const log = { sessionId: record.sessionId, containerId: record.containerId };
    if (!before || before.containerId !== record.containerId) {
      this.deps.logger.info({ ...log, state: record.state }, 'tracking session container');
      if (!record.vncPassword) {
        this.deps.logger.warn(log, 'session container has no VNC_PW; it cannot be streamed');
      }
    } else if (before.state !== record.state) {
      this.deps.logger.info(
        { ...log, from: before.state, to: record.state, exitCode: record.exitCode, error: record.error },
        'session container state changed',
      );
    }
    return record;
  }
}
