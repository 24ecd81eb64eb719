import { describe, expect, it } from 'vitest';
import { routeLabel } from './http-metrics.js';
import { ServerMetrics } from './server-metrics.js';

function serverMetrics(opts: { failing?: boolean } = {}) {
  const m = new ServerMetrics();
  const meter = { bytes: 1500 };
  m.readAtScrape({
    sessionsByState: async () => {
      if (opts.failing) throw new Error('database down');
      return new Map([['running', 3]]);
    },
    agentsOnline: async () => 2,
    streams: () => [{ path: 'embedded-proxy', open: 1, bytes: meter.bytes }],
    pool: () => ({ total: 4, idle: 3, waiting: 1, max: 10 }),
    bus: () => ({ kind: 'redis', available: false }),
  });
  return Object.assign(m, { meter });
}

/** The value of one sample line (`name{labels} value`) of the text format. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ServerMetrics', () => {
  it('exports what the services record and what the sources say at scrape time', async () => {
    const m = serverMetrics();
    m.launchStarted('on_demand');
    m.launchFailed('on_demand');
    m.launchRunning('staged', 0.2);
    m.checkinHandled(0.01);
    m.requestHandled('GET', '/api/sessions/:id', 404, 0.003);
    const text = await m.render();
    expect(sample(text, 'porthole_launches_started_total{kind="on_demand"}')).toBe(1);
    expect(sample(text, 'porthole_launches_started_total{kind="staged"}')).toBe(0);
    expect(sample(text, 'porthole_launches_failed_total{kind="on_demand"}')).toBe(1);
    expect(sample(text, 'porthole_launch_duration_seconds_count{kind="staged"}')).toBe(1);
    expect(sample(text, 'porthole_launch_duration_seconds_count{kind="on_demand"}')).toBe(0);
    expect(sample(text, 'porthole_checkin_handling_seconds_count')).toBe(1);
    expect(
      sample(
        text,
        'porthole_http_request_duration_seconds_count{method="GET",route="/api/sessions/:id",status_class="4xx"}',
      ),
    ).toBe(1);
    expect(sample(text, 'porthole_sessions{state="running"}')).toBe(3);
    expect(sample(text, 'porthole_sessions{state="paused"}')).toBe(0);
    expect(sample(text, 'porthole_agents_online')).toBe(2);
    expect(sample(text, 'porthole_streams_open{path="embedded-proxy"}')).toBe(1);
    expect(sample(text, 'porthole_streams_open{path="local-gateway"}')).toBe(0);
    expect(sample(text, 'porthole_stream_bytes_total{path="embedded-proxy"}')).toBe(1500);
    expect(sample(text, 'porthole_db_pool_connections')).toBe(4);
    expect(sample(text, 'porthole_db_pool_idle')).toBe(3);
    expect(sample(text, 'porthole_db_pool_waiting')).toBe(1);
    expect(sample(text, 'porthole_share_bus_up{kind="redis"}')).toBe(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    // The byte counter follows the meter, scrape after scrape.
    m.meter.bytes = 2000;
    expect(sample(await m.render(), 'porthole_stream_bytes_total{path="embedded-proxy"}')).toBe(2000);
  });

  it('keeps one registry per server: two in one process share no counter', async () => {
    const a = serverMetrics();
    const b = serverMetrics();
    a.launchStarted('staged');
    expect(sample(await a.render(), 'porthole_launches_started_total{kind="staged"}')).toBe(1);
    expect(sample(await b.render(), 'porthole_launches_started_total{kind="staged"}')).toBe(0);
  });

  it('leaves out the sessions gauge, rather than showing stale numbers, when the database fails', async () => {
    const text = await serverMetrics({ failing: true }).render();
    expect(text).not.toMatch(/^porthole_sessions\{/m);
    expect(sample(text, 'porthole_agents_online')).toBe(2);
  });
});

describe('routeLabel', () => {
  it('keeps API patterns and folds the web app files into one', () => {
    expect(routeLabel('/api/sessions/:id')).toBe('/api/sessions/:id');
    expect(routeLabel('/session/*')).toBe('/session/*');
    expect(routeLabel('/metrics')).toBe('/metrics');
    expect(routeLabel('/')).toBe('/');
    expect(routeLabel('/assets/index-3f9a1c.js')).toBe('/:file');
    expect(routeLabel(undefined)).toBe('unmatched');
  });
});
