import { containerStateSchema } from '@porthole/contracts';
import type { StreamMeter } from '@porthole/stream';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CheckinLoopMetrics } from '../checkin/checkin-loop.js';
import type { PullMetrics } from '../images/pull-scheduler.js';
import type { ContainerState } from '../runtime/container-runtime.js';

/** What the scrape reads at that moment. */
export interface AgentMetricSources {
  sessionStates(): Iterable<ContainerState>;
  streams(): StreamMeter;
  pullsInProgress(): number;
}

/** Every state, so a state with no session reads 0 instead of vanishing from the scrape. */
const STATES = containerStateSchema.options;

/**
 * The agent's metrics on a registry of its own, so several agents in one process (the tests,
 * `porthole up` beside its server) never share a counter.
 */
export class AgentMetrics implements CheckinLoopMetrics, PullMetrics {
  readonly registry = new Registry();
  private readonly rtt: Histogram;
  private readonly checkinFailures: Counter;
  private readonly pullFailures: Counter;

  constructor(sources: AgentMetricSources) {
    const registers = [this.registry];
    this.rtt = new Histogram({
      name: 'porthole_agent_checkin_rtt_seconds',
      help: 'Round trip of a check-in that the server answered: report sent, answer received',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.checkinFailures = new Counter({
      name: 'porthole_agent_checkin_failures_total',
      help: 'Check-ins that failed (server unreachable, refused or answered with an error)',
      registers,
    });
    this.pullFailures = new Counter({
      name: 'porthole_agent_image_pull_failures_total',
      help: 'Image pulls that failed (each is retried with backoff)',
      registers,
    });
    new Gauge({
      name: 'porthole_agent_sessions',
      help: 'Session containers this agent runs, by container state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<ContainerState, number>();
        for (const s of sources.sessionStates()) counts.set(s, (counts.get(s) ?? 0) + 1);
        for (const state of STATES) this.set({ state }, counts.get(state) ?? 0);
      },
    });
    new Gauge({
      name: 'porthole_agent_streams_open',
      help: "Session streams (WebSockets) open through this agent's gateway",
      registers,
      collect() {
        this.set(sources.streams().open);
      },
    });
    let relayed = 0;
    new Counter({
      name: 'porthole_agent_stream_bytes_total',
      help: "Bytes relayed both ways through this agent's gateway",
      registers,
      collect() {
        const total = sources.streams().bytes;
        this.inc(Math.max(0, total - relayed));
        relayed = Math.max(relayed, total);
      },
    });
    new Gauge({
      name: 'porthole_agent_image_pulls_in_progress',
      help: 'Image pulls running now',
      registers,
      collect() {
        this.set(sources.pullsInProgress());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  checkinSucceeded(seconds: number): void {
    this.rtt.observe(seconds);
  }

  checkinFailed(): void {
    this.checkinFailures.inc();
  }

  pullFailed(): void {
    this.pullFailures.inc();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
