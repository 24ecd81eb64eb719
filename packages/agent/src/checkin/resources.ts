import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { AgentResources } from '@porthole/contracts';
import type { Logger } from 'pino';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { errorMessage } from '../util/errors.js';

/** The host facts the check-in reports; swappable so tests need not depend on the machine. */
export interface HostProbe {
  cores(): number;
  memoryBytes(): number;
  memoryFreeBytes(): number;
  load1(): number;
  /** Free bytes on the filesystem holding `path`, or null when it cannot be read. */
  diskFreeBytes(path: string): Promise<number | null>;
}

export const osHostProbe: HostProbe = {
  cores: () => os.availableParallelism(),
  memoryBytes: () => os.totalmem(),
  memoryFreeBytes: () => os.freemem(),
  load1: () => os.loadavg()[0] ?? 0,
  diskFreeBytes: async (path) => {
    if (!path) return null;
    try {
      const stats = await statfs(path);
      // bavail, not bfree: blocks reserved for root are no use to image layers.
      return stats.bavail * stats.bsize;
    } catch {
      return null;
    }
  },
};

export interface ResourceSamplerDeps {
  runtime: Pick<ContainerRuntime, 'info' | 'stats'>;
  host?: HostProbe;
  logger: Logger;
  /** How often session containers' CPU and memory are summed; default 30 s. */
  usageIntervalMs?: number;
  now?: () => number;
}

/** Sampling stats costs Docker about a second per container, so it runs beside the check-in. */
const DEFAULT_USAGE_INTERVAL_MS = 30_000;
const STATS_CONCURRENCY = 4;

/**
 * What the check-in says about the host. Docker's version and data root are asked once and again
 * after a failure; session usage is sampled in the background and the last sums reported.
 */
export class ResourceSampler {
  private engine: { dockerVersion: string; dataRoot: string } | null = null;
  private usage: { cpuUsedCores: number; memoryUsedBytes: number } | null = null;
  private usageAt = 0;
  private sampling = false;
  private readonly host: HostProbe;
  private readonly now: () => number;

  constructor(private readonly deps: ResourceSamplerDeps) {
    this.host = deps.host ?? osHostProbe;
    this.now = deps.now ?? Date.now;
  }

  /** Cores and memory a single session may ask for on this host. */
  limits(): { cores: number; memoryBytes: number } {
    return { cores: this.host.cores(), memoryBytes: this.host.memoryBytes() };
  }

  /** Forget the engine facts (after a Docker reconnect the daemon may have been upgraded). */
  invalidateEngine(): void {
    this.engine = null;
  }

  async sample(runningContainerIds: readonly string[]): Promise<AgentResources> {
    const engine = await this.engineInfo();
    this.maybeSampleUsage(runningContainerIds);
    const resources: AgentResources = {
      cores: this.host.cores(),
      memoryBytes: this.host.memoryBytes(),
      memoryFreeBytes: this.host.memoryFreeBytes(),
      diskFreeBytes: engine ? await this.host.diskFreeBytes(engine.dataRoot) : null,
      load1: Math.max(0, this.host.load1()),
      dockerVersion: (engine?.dockerVersion ?? 'unavailable').slice(0, 64),
    };
    if (this.usage) {
      resources.cpuUsedCores = this.usage.cpuUsedCores;
      resources.memoryUsedBytes = this.usage.memoryUsedBytes;
    }
    return resources;
  }

  private async engineInfo(): Promise<{ dockerVersion: string; dataRoot: string } | null> {
    if (this.engine) return this.engine;
    try {
      const info = await this.deps.runtime.info();
      this.engine = { dockerVersion: info.dockerVersion, dataRoot: info.dataRoot };
    } catch (error) {
      this.deps.logger.debug({ err: errorMessage(error) }, 'docker info failed');
    }
    return this.engine;
  }

  private maybeSampleUsage(ids: readonly string[]): void {
    const interval = this.deps.usageIntervalMs ?? DEFAULT_USAGE_INTERVAL_MS;
    if (this.sampling || this.now() - this.usageAt < interval) return;
    this.sampling = true;
    this.usageAt = this.now();
    void this.sumUsage(ids)
      .then((usage) => {
        this.usage = usage;
      })
      .catch((error: unknown) => {
        this.deps.logger.debug({ err: errorMessage(error) }, 'sampling session usage failed');
      })
      .finally(() => {
        this.sampling = false;
      });
  }

  private async sumUsage(ids: readonly string[]): Promise<{ cpuUsedCores: number; memoryUsedBytes: number }> {
    let cpuPercent = 0;
    let memoryUsedBytes = 0;
    for (let i = 0; i < ids.length; i += STATS_CONCURRENCY) {
      const batch = await Promise.allSettled(
        ids.slice(i, i + STATS_CONCURRENCY).map((id) => this.deps.runtime.stats(id)),
      );
      for (const result of batch) {
        // A container that stopped between listing and sampling simply adds nothing.
        if (result.status !== 'fulfilled') continue;
        cpuPercent += result.value.cpuPercent;
        memoryUsedBytes += result.value.memoryBytes;
      }
    }
    return { cpuUsedCores: Math.round(cpuPercent) / 100, memoryUsedBytes };
  }
}
