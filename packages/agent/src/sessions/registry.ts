import type { ReportedSession } from '@porthole/contracts';
import type { ContainerInfo, ContainerState } from '../runtime/container-runtime.js';
import { SESSION_LABELS } from './container-spec.js';

export interface SessionRecord {
  sessionId: string;
  containerId: string;
  ownerId: string | null;
  imageName: string | null;
  state: ContainerState;
  /** Loopback port Docker published for the container's 6901. */
  hostPort: number | null;
  /** The session's VNC_PW; null only when a container was adopted without one. */
  vncPassword: string | null;
  exitCode: number | null;
  error: string | null;
  lastActivityAt: string | null;
  /** Registry change counter at this record's last update (see SessionRegistry.version). */
  version: number;
}

/** Where the gateway connects for a running session, with the credentials it must inject. */
export interface SessionTarget {
  containerId: string;
  hostPort: number;
  vncPassword: string;
}

/**
 * The agent's in-memory view of its session containers. Docker is the source of truth: records
 * are rebuilt from container labels and env after a restart, and kept current by events and
 * reconciles. An in-process proxy reads `target()` to reach a session.
 */
export class SessionRegistry {
  private readonly records = new Map<string, SessionRecord>();
  private counter = 0;

  /** Increments on every change; a reconcile uses it to leave alone what changed while it listed. */
  get version(): number {
    return this.counter;
  }

  get(sessionId: string): SessionRecord | undefined {
    return this.records.get(sessionId);
  }

  list(): SessionRecord[] {
    return [...this.records.values()];
  }

  get size(): number {
    return this.records.size;
  }

  findByContainer(containerId: string): SessionRecord | undefined {
    for (const record of this.records.values()) if (record.containerId === containerId) return record;
    return undefined;
  }

  /** Host port and VNC password for a running session, or null when it cannot be streamed now. */
  target(sessionId: string): SessionTarget | null {
    const record = this.records.get(sessionId);
    if (record?.state !== 'running' || !record.hostPort || !record.vncPassword) return null;
    return { containerId: record.containerId, hostPort: record.hostPort, vncPassword: record.vncPassword };
  }

  /**
   * Records what the runtime says about a session container; returns null for a container without
   * a session label. The password comes from the container's env, else from what we knew before.
   */
  applyContainer(info: ContainerInfo): SessionRecord | null {
    const sessionId = info.labels[SESSION_LABELS.session];
    if (!sessionId) return null;
    const previous = this.records.get(sessionId);
    const samePrevious = previous?.containerId === info.id ? previous : undefined;
    const record: SessionRecord = {
      sessionId,
      containerId: info.id,
      ownerId: info.labels[SESSION_LABELS.owner] ?? null,
      imageName: info.labels[SESSION_LABELS.image] ?? null,
      state: info.state,
      hostPort: info.rfbHostPort,
      vncPassword: info.env?.VNC_PW ?? samePrevious?.vncPassword ?? null,
      exitCode: info.exitCode,
      error: info.error ?? (info.oomKilled ? 'the container ran out of memory' : null),
      lastActivityAt: samePrevious?.lastActivityAt ?? null,
      version: ++this.counter,
    };
    this.records.set(sessionId, record);
    return record;
  }

  /** Forgets a session; with `containerId`, only when the record is still about that container. */
  remove(sessionId: string, containerId?: string): boolean {
    const record = this.records.get(sessionId);
    if (!record || (containerId !== undefined && record.containerId !== containerId)) return false;
    this.records.delete(sessionId);
    this.counter += 1;
    return true;
  }

  /** The gateway calls this as bytes flow; reported at check-in for idle detection. */
  markActivity(sessionId: string, at: Date = new Date()): void {
    const record = this.records.get(sessionId);
    if (record) record.lastActivityAt = at.toISOString();
  }

  /** Every session as the check-in reports it. */
  report(): ReportedSession[] {
    return this.list().map((r) => ({
      sessionId: r.sessionId,
      containerId: r.containerId,
      state: r.state,
      hostPort: r.hostPort,
      exitCode: r.exitCode,
      error: r.error ? r.error.slice(0, 2000) : null,
      lastActivityAt: r.lastActivityAt,
    }));
  }
}
