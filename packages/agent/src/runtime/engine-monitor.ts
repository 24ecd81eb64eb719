import type { EngineHealth } from '@porthole/contracts';
import type { Logger } from 'pino';
import { type ContainerRuntime, RuntimeError } from './container-runtime.js';

export interface EngineMonitorDeps {
  runtime: Pick<ContainerRuntime, 'ping'>;
  logger: Logger;
  /** The engine answers again after an outage: work that waited on it can start now. */
  onBack?: () => void;
}

const MAX_ERROR = 2000;

/** A runtime error that means "the engine did not answer", as opposed to "the engine said no". */
export function isEngineUnavailable(error: unknown): boolean {
  return error instanceof RuntimeError && error.code === 'unavailable';
}

/**
 * One view of whether the container engine answers. Pulls, the event stream, reconciliation and
 * the check-in all notice an outage; each tells this monitor instead of logging on its own, so an
 * outage is one warning when it starts and one info when it ends, not a line per image per retry.
 */
export class EngineMonitor {
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private error: string | undefined;
  private version: string | undefined;

  constructor(private readonly deps: EngineMonitorDeps) {}

  get reachable(): boolean {
    return this.state !== 'down';
  }

  /** The engine failed to answer. Logs only when this starts an outage. */
  down(error: unknown): void {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR);
    this.error = message;
    if (this.state === 'down') {
      this.deps.logger.debug({ err: message }, 'Docker Engine still unreachable');
      return;
    }
    this.state = 'down';
    this.deps.logger.warn(
      { err: message },
      'Docker Engine unreachable; sessions cannot start here until it answers again',
    );
  }

  /** The engine answered. Logs only when this ends an outage. */
  up(version?: string): void {
    if (version && version !== 'unavailable') this.version = version;
    const wasDown = this.state === 'down';
    this.state = 'up';
    this.error = undefined;
    if (!wasDown) return;
    this.deps.logger.info({ ...(this.version ? { version: this.version } : {}) }, 'Docker Engine is back');
    this.deps.onBack?.();
  }

  /** Asks the engine directly; what the check-in reports. */
  async probe(version?: string): Promise<EngineHealth> {
    try {
      await this.deps.runtime.ping();
      this.up(version);
    } catch (error) {
      this.down(error);
    }
    return this.health();
  }

  health(): EngineHealth {
    if (this.state === 'down') return { reachable: false, ...(this.error ? { error: this.error } : {}) };
    return { reachable: true, ...(this.version ? { version: this.version } : {}) };
  }
}
