import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AgentMetrics } from '../metrics/agent-metrics.js';
import { installErrorHandler } from './error-handler.js';
import { metricsRoutes } from './metrics-routes.js';

const TOKEN = 'agent-metrics-token-0123';

function app(token: string | undefined = TOKEN) {
  const metrics = new AgentMetrics({
    sessionStates: () => ['running', 'running', 'paused'],
    streams: () => ({ open: 2, bytes: 4096 }),
    pullsInProgress: () => 1,
  });
  metrics.checkinSucceeded(0.02);
  metrics.checkinFailed();
  metrics.pullFailed();
  const a = Fastify();
  installErrorHandler(a);
  metricsRoutes(a, metrics, token);
  return a;
}

const scrape = (a: ReturnType<typeof app>, remoteAddress: string, headers: Record<string, string> = {}) =>
  a.inject({ method: 'GET', url: '/metrics', remoteAddress, headers });

describe("the agent's /metrics", () => {
  it('answers a direct scrape from loopback with its gauges and counters', async () => {
    const r = await scrape(app(), '127.0.0.1');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const line of [
      'porthole_agent_sessions{state="running"} 2',
      'porthole_agent_sessions{state="paused"} 1',
      'porthole_agent_sessions{state="exited"} 0',
      'porthole_agent_streams_open 2',
      'porthole_agent_stream_bytes_total 4096',
      'porthole_agent_image_pulls_in_progress 1',
      'porthole_agent_image_pull_failures_total 1',
      'porthole_agent_checkin_rtt_seconds_count 1',
      'porthole_agent_checkin_failures_total 1',
    ])
      expect(r.body.split('\n')).toContain(line);
    expect(r.body).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('takes the metrics token from anywhere', async () => {
    const r = await scrape(app(), '203.0.113.5', { authorization: `Bearer ${TOKEN}` });
    expect(r.statusCode).toBe(200);
  });

  it('refuses proxied loopback, other addresses, wrong tokens and tokens when none is set', async () => {
    const a = app();
    expect((await scrape(a, '127.0.0.1', { 'x-forwarded-for': '203.0.113.5' })).statusCode).toBe(401);
    expect((await scrape(a, '127.0.0.1', { forwarded: 'for=203.0.113.5' })).statusCode).toBe(401);
    expect((await scrape(a, '203.0.113.5')).statusCode).toBe(401);
    expect((await scrape(a, '127.0.0.1', { authorization: `Bearer ${TOKEN}x` })).statusCode).toBe(401);
    expect((await scrape(app(undefined), '203.0.113.5', { authorization: 'Bearer x' })).statusCode).toBe(401);
  });
});
