import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { CheckinMetrics } from '../agents/agent-service.js';
import type { LaunchKind, LaunchMetrics } from '../sessions/launch-metrics.js';
import type { HttpRequestMetrics } from './http-metrics.js';
import { type MetricSources, registerScrapeGauges } from './scrape-gauges.js';

const KINDS: readonly LaunchKind[] = ['on_demand', 'staged'];

/**
 * The server's metrics, on a registry of its own (not prom-client's global one) so two servers in
 * one process, as in the tests, never share a counter. Implements the small recording interfaces
 * the services declare; everything that is state rather than events is read at scrape time.
 */
export class ServerMetrics implements LaunchMetrics, CheckinMetrics, HttpRequestMetrics {
  readonly registry = new Registry();
  private readonly started: Counter<'kind'>;
  private readonly failed: Counter<'kind'>;
  private readonly duration: Histogram<'kind'>;
  private readonly checkin: Histogram;
  private readonly http: Histogram<'method' | 'route' | 'status_class'>;

  constructor() {
    const registers = [this.registry];

    this.started = new Counter({
      name: 'porthole_launches_started_total',
      help: 'Session launches accepted, by kind (on_demand: a new container; staged: a standby assigned)',
      labelNames: ['kind'],
      registers,
    });
    this.failed = new Counter({
      name: 'porthole_launches_failed_total',
      help: 'Session launches that ended in error or found no agent, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.duration = new Histogram({
      name: 'porthole_launch_duration_seconds',
      help: 'From the launch request to the session running (staged: to the standby being assigned)',
      labelNames: ['kind'],
      buckets: [0.05, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    });
    for (const kind of KINDS) {
      this.started.inc({ kind }, 0);
      this.failed.inc({ kind }, 0);
      this.duration.zero({ kind });
    }
    this.checkin = new Histogram({
      name: 'porthole_checkin_handling_seconds',
      help: "The server's handling of one agent check-in (report in, answer out)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.http = new Histogram({
      name: 'porthole_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });

    collectDefaultMetrics({ register: this.registry });
  }

  launchStarted(kind: LaunchKind): void {
    this.started.inc({ kind });
  }

  launchFailed(kind: LaunchKind): void {
    this.failed.inc({ kind });
  }

  launchRunning(kind: LaunchKind, seconds: number): void {
    this.duration.observe({ kind }, Math.max(0, seconds));
  }

  checkinHandled(seconds: number): void {
    this.checkin.observe(seconds);
  }

  requestHandled(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
  }

  /** The state read at each scrape; given once the services it reads exist. */
  readAtScrape(sources: MetricSources): void {
    registerScrapeGauges(this.registry, sources);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
