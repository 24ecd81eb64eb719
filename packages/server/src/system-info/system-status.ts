import type { HealthResponse, SystemInfo } from '@porthole/contracts';
import type { Clock } from '../platform/clock.js';

export interface SystemStatusDeps {
  version: string;
  database: 'embedded' | 'postgres';
  bus: 'memory' | 'redis';
  installationId: string;
  startedAt: Date;
  clock: Clock;
  pingDatabase(): Promise<void>;
}

export class SystemStatus {
  constructor(private readonly deps: SystemStatusDeps) {}

  async health(): Promise<HealthResponse> {
    const { version, database, bus } = this.deps;
    try {
      await this.deps.pingDatabase();
      return { status: 'ok', version, database, bus };
    } catch (err) {
      const reason = `database unreachable: ${err instanceof Error ? err.message : String(err)}`;
      return { status: 'unavailable', version, database, bus, reason };
    }
  }

  info(): SystemInfo {
    const { version, database, bus, installationId, startedAt, clock } = this.deps;
    return {
      installationId,
      version,
      uptimeSeconds: Math.max(0, Math.floor((clock.now().getTime() - startedAt.getTime()) / 1000)),
      database,
      bus,
      startedAt: startedAt.toISOString(),
    };
  }
}
