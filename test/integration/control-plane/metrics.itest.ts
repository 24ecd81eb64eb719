import type { ApiKeyCreated, ImageView, StagingView } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../../support/http.js';
import {
  ControlPlane,
  launch,
  rfbBanner,
  SMALL,
  type TestAgent,
  type TestUser,
  until,
  waitState,
} from './support.js';

/**
 * `/metrics` on a real server with a real agent on the local Docker: the numbers move when a
 * session launches, streams and when the agent goes away; who may read them is checked for real.
 * "Not loopback" is a request through a proxy (X-Forwarded-For): a server trusting 127.0.0.1 as
 * its proxy sees exactly that from a remote browser.
 */
const TOKEN = 'metrics-token-for-the-control-plane';
let plane: ControlPlane;
let agent: TestAgent;
let firefox: ImageView;
let alice: TestUser;

beforeAll(async () => {
  plane = await ControlPlane.start('metrics', { metricsToken: TOKEN });
  firefox = await plane.patchImage((await plane.image('firefox')).id, SMALL);
  agent = await plane.agent('metrics');
  await agent.waitReady();
  alice = await plane.user('alice');
});

afterAll(async () => {
  await plane?.close();
});

/** The value of one series (`name{labels}` exactly as exported); undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A scrape from this machine, straight to the server: allowed without credentials. */
async function scrape(base = plane.url): Promise<string> {
  const r = await http(`${base}/metrics`);
  expect(r.status, r.text).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.text;
}

describe('who may read /metrics', () => {
  const remote = { 'x-forwarded-for': '203.0.113.7' };

  it('answers 401 without credentials to a request that came through a proxy', async () => {
    const r = await http(`${plane.url}/metrics`, { headers: remote });
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('lets the metrics token, an admin API key and a signed-in administrator in from afar', async () => {
    const token = await http(`${plane.url}/metrics`, {
      headers: { ...remote, authorization: `Bearer ${TOKEN}` },
    });
    expect(token.status).toBe(200);
    expect(token.text).toMatch(/^porthole_agents_online /m);

    const wrong = await http(`${plane.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);

    const key = await plane.admin.expect<ApiKeyCreated>(201, 'POST', '/api/admin/api-keys', {
      name: 'scraper',
      permissions: ['global_admin'],
      readOnly: true,
    });
    const bearer = { ...remote, authorization: `Bearer ${key.api_key}:${key.api_key_secret}` };
    expect((await http(`${plane.url}/metrics`, { headers: bearer })).status).toBe(200);
    const weak = await plane.admin.expect<ApiKeyCreated>(201, 'POST', '/api/admin/api-keys', {
      name: 'not an admin',
      permissions: ['sessions_view'],
    });
    const weakBearer = { ...remote, authorization: `Bearer ${weak.api_key}:${weak.api_key_secret}` };
    expect((await http(`${plane.url}/metrics`, { headers: weakBearer })).status).toBe(403);

    // The admin client signs in through the trusted proxy (X-Forwarded-For) with its cookie.
    expect((await plane.admin.get('/metrics')).status).toBe(200);
    expect((await alice.api.get('/metrics')).status).toBe(403);
  });

  it("answers 401 on the agent's /metrics to a proxied request without the token", async () => {
    const r = await http(`${agent.running?.url}/metrics`, { headers: remote });
    expect(r.status).toBe(401);
  });
});

describe('metric values', () => {
  it('move when a session launches and streams', async () => {
    const before = await scrape();
    const created = await launch(alice.api, firefox.id);
    expect(created.status, created.text).toBe(201);
    await waitState(alice.api, created.body.id, 'running', 90_000);
    const after = await scrape();

    const started = 'porthole_launches_started_total{kind="on_demand"}';
    expect(sample(after, started)).toBe((sample(before, started) ?? 0) + 1);
    const running = 'porthole_sessions{state="running"}';
    expect(sample(after, running)).toBe((sample(before, running) ?? 0) + 1);
    const took = 'porthole_launch_duration_seconds_count{kind="on_demand"}';
    expect(sample(after, took)).toBe((sample(before, took) ?? 0) + 1);
    expect(sample(after, 'porthole_launch_duration_seconds_sum{kind="on_demand"}')).toBeGreaterThan(0);
    expect(sample(after, 'porthole_launches_failed_total{kind="on_demand"}')).toBe(0);
    expect(sample(after, 'porthole_checkin_handling_seconds_count')).toBeGreaterThan(0);
    expect(sample(after, 'porthole_db_pool_max')).toBe(10);
    expect(sample(after, 'porthole_share_bus_up{kind="memory"}')).toBe(1);
    // Labelled by the route's pattern, never by a URL with the session's id in it.
    expect(
      sample(
        after,
        'porthole_http_request_duration_seconds_count{method="POST",route="/api/sessions",status_class="2xx"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/route="\/api\/sessions\/:id"/);
    expect(after).not.toContain(created.body.id);

    const bytes = 'porthole_stream_bytes_total{path="embedded-proxy"}';
    expect(await rfbBanner(alice.api, created.body.id)).toMatch(/^RFB 003\.00\d\n$/);
    await until('the stream to be metered', async () => {
      const now = await scrape();
      return (sample(now, bytes) ?? 0) > (sample(before, bytes) ?? 0) &&
        sample(now, 'porthole_streams_open{path="embedded-proxy"}') === 0
        ? now
        : undefined;
    });

    // The agent's own view of the same session and stream.
    const agentText = await scrape(agent.running?.url);
    expect(sample(agentText, 'porthole_agent_sessions{state="running"}')).toBe(1);
    expect(sample(agentText, 'porthole_agent_streams_open')).toBe(0);
    expect(sample(agentText, 'porthole_agent_stream_bytes_total')).toBeGreaterThan(0);
    expect(sample(agentText, 'porthole_agent_image_pulls_in_progress')).toBe(0);
    expect(sample(agentText, 'porthole_agent_image_pull_failures_total')).toBe(0);
    expect(sample(agentText, 'porthole_agent_checkin_rtt_seconds_count')).toBeGreaterThan(0);
    expect(sample(agentText, 'porthole_agent_checkin_failures_total')).toBe(0);
    expect(agentText).toMatch(/^process_resident_memory_bytes /m);

    await alice.api.expect(204, 'DELETE', `/api/sessions/${created.body.id}`);
  });

  it('counts a staged launch, and not the standby the pool starts for it', async () => {
    const before = await scrape();
    const zone = await plane.defaultZone();
    const pool = await plane.admin.expect<StagingView>(201, 'POST', '/api/admin/staging', {
      zoneId: zone.id,
      imageId: firefox.id,
      desiredCount: 1,
    });
    await until(
      'the pool to have one ready session',
      async () =>
        (await plane.admin.expect<StagingView>(200, 'GET', `/api/admin/staging/${pool.id}`)).readyCount === 1,
      90_000,
    );
    const filled = await scrape();
    const onDemand = 'porthole_launches_started_total{kind="on_demand"}';
    expect(sample(filled, onDemand)).toBe(sample(before, onDemand));
    expect(sample(filled, 'porthole_launch_duration_seconds_count{kind="on_demand"}')).toBe(
      sample(before, 'porthole_launch_duration_seconds_count{kind="on_demand"}'),
    );

    const created = await launch(alice.api, firefox.id);
    expect(created.status, created.text).toBe(201);
    expect(created.body.state).toBe('running');
    const after = await scrape();
    const staged = 'porthole_launches_started_total{kind="staged"}';
    expect(sample(after, staged)).toBe((sample(before, staged) ?? 0) + 1);
    const took = 'porthole_launch_duration_seconds_count{kind="staged"}';
    expect(sample(after, took)).toBe((sample(before, took) ?? 0) + 1);
    expect(sample(after, onDemand)).toBe(sample(before, onDemand));

    await plane.admin.expect(204, 'DELETE', `/api/admin/staging/${pool.id}`);
    await alice.api.expect(204, 'DELETE', `/api/sessions/${created.body.id}`);
  });

  it('counts a launch no agent can take as started and failed', async () => {
    const before = await scrape();
    const huge = await plane.createImage({ name: `huge-${plane.run}`, cores: 64 });
    const refused = await launch(alice.api, huge.id);
    expect(refused.status, refused.text).toBe(503);
    const after = await scrape();
    for (const series of [
      'porthole_launches_started_total{kind="on_demand"}',
      'porthole_launches_failed_total{kind="on_demand"}',
    ])
      expect(sample(after, series), series).toBe((sample(before, series) ?? 0) + 1);
  });

  it('shows the agent going offline', async () => {
    expect(sample(await scrape(), 'porthole_agents_online')).toBe(1);
    await agent.stop();
    await until(
      'agents online to drop',
      async () => sample(await scrape(), 'porthole_agents_online') === 0,
      30_000,
      500,
    );
  });
});
