import { liveSessionStates } from '@porthole/contracts';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PoolUse } from '../db/database.js';

/** Which hop carried a stream: the embedded proxy to a remote agent, or `porthole up`'s own agent. */
export type StreamPath = 'embedded-proxy' | 'local-gateway';

/** What the scrape reads at that moment, rather than tracking it as it changes. */
export interface MetricSources {
  sessionsByState(): Promise<ReadonlyMap<string, number>>;
  agentsOnline(): Promise<number>;
  streams(): Array<{ path: StreamPath; open: number; bytes: number }>;
  pool(): PoolUse;
  bus(): { kind: string; available: boolean };
  log?: { warn(obj: object, msg: string): void };
}

const PATHS: readonly StreamPath[] = ['embedded-proxy', 'local-gateway'];

/** The gauges (and the byte counter) whose values are read from their sources at each scrape. */
export function registerScrapeGauges(registry: Registry, sources: MetricSources): void {
  const registers = [registry];
  const warn = (what: string, err: unknown) =>
    sources.log?.warn({ err: err instanceof Error ? err.message : String(err) }, `metrics: ${what} failed`);

  new Gauge({
    name: 'porthole_sessions',
    help: 'Sessions that have not ended, by state (staging-pool standbys included)',
    labelNames: ['state'],
    registers,
    async collect() {
      try {
        const counts = await sources.sessionsByState();
        for (const state of liveSessionStates) this.set({ state }, counts.get(state) ?? 0);
      } catch (err) {
        // An absent series says "unknown"; a stale one would lie.
        this.reset();
        warn('counting sessions', err);
      }
    },
  });
  new Gauge({
    name: 'porthole_agents_online',
    help: 'Agents that checked in within three intervals and are not marked offline',
    registers,
    async collect() {
      try {
        this.set(await sources.agentsOnline());
      } catch (err) {
        this.reset();
        warn('counting agents', err);
      }
    },
  });

  const streamsNow = () => new Map(sources.streams().map((s) => [s.path, s]));
  new Gauge({
    name: 'porthole_streams_open',
    help: 'Session streams (WebSockets) relayed now, by path',
    labelNames: ['path'],
    registers,
    collect() {
      const now = streamsNow();
      for (const path of PATHS) this.set({ path }, now.get(path)?.open ?? 0);
    },
  });
  const relayed = new Map<StreamPath, number>();
  new Counter({
    name: 'porthole_stream_bytes_total',
    help: 'Bytes relayed both ways on session streams, by path',
    labelNames: ['path'],
    registers,
    collect() {
      const now = streamsNow();
      for (const path of PATHS) {
        const total = now.get(path)?.bytes ?? 0;
        const last = relayed.get(path) ?? 0;
        // A smaller total is a new meter (the local agent restarted): all of it is new.
        this.inc({ path }, total >= last ? total - last : total);
        relayed.set(path, total);
      }
    },
  });

  const pool = (name: string, help: string, read: (p: PoolUse) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(sources.pool()));
      },
    });
  pool('porthole_db_pool_connections', 'Open connections of the database pool', (p) => p.total);
  pool('porthole_db_pool_idle', 'Idle connections of the database pool', (p) => p.idle);
  pool('porthole_db_pool_waiting', 'Queries waiting for a connection of the database pool', (p) => p.waiting);
  pool('porthole_db_pool_max', 'Most connections the database pool opens', (p) => p.max);

  new Gauge({
    name: 'porthole_share_bus_up',
    help: 'Whether the share bus (chat and presence across replicas) is available: 1 or 0',
    labelNames: ['kind'],
    registers,
    collect() {
      const bus = sources.bus();
      this.reset();
      this.set({ kind: bus.kind }, bus.available ? 1 : 0);
    },
  });
}
