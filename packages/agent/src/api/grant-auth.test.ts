import { randomUUID } from 'node:crypto';
import type { AgentDisconnect } from '@porthole/contracts';
import { GrantSigner, GrantVerifier } from '@porthole/stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionReconciler } from '../sessions/reconciler.js';
import { SessionRegistry } from '../sessions/registry.js';
import { SessionService } from '../sessions/session-service.js';
import { MemoryRuntime } from '../testkit/memory-runtime.js';
import { createAgentApi } from './server.js';

const logger = pino({ level: 'silent' });
const AGENT = randomUUID();
const signer = new GrantSigner(GrantSigner.generatePrivateKeyPem());
const forger = new GrantSigner(GrantSigner.generatePrivateKeyPem());
const IMAGE = 'porthole/desktop:latest';

let app: FastifyInstance;
let registered = true;
const disconnects: Array<{ sessionId: string; target: AgentDisconnect }> = [];
const runtime = new MemoryRuntime();
runtime.images.add(IMAGE);

beforeAll(async () => {
  const registry = new SessionRegistry();
  const reconciler = new SessionReconciler({ runtime, registry, agentId: AGENT, logger });
  const service = new SessionService({
    runtime,
    registry,
    reconciler,
    agentId: AGENT,
    logger,
    host: () => ({ cores: 4, memoryBytes: 8 * 1024 ** 3 }),
    waitForRfb: async () => ({ elapsedMs: 7, attempts: 1, version: '003.008' }),
  });
  const verifier = new GrantVerifier(signer.publicKeyPem, AGENT);
  app = createAgentApi({
    logger,
    verifier: () => (registered ? verifier : null),
    sessions: () => service,
    health: () => ({ agentId: AGENT, version: '0.1.0' }),
    streams: {
      disconnect: (sessionId, target) => {
        disconnects.push({ sessionId, target });
        return 'userId' in target ? 1 : 2;
      },
    },
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

function createBody(sessionId: string, extra: Record<string, unknown> = {}) {
  return {
    sessionId,
    ownerId: 'owner-1',
    ownerName: 'alice',
    image: { ref: IMAGE, name: 'desktop' },
    cores: 1,
    memoryBytes: 512 * 1024 * 1024,
    shmBytes: 64 * 1024 * 1024,
    ...extra,
  };
}

const grant = (sid: string, act: 'create' | 'control' | 'stream' = 'control', aud = AGENT) =>
  `Bearer ${signer.issue({ aud, sid, act }, 60)}`;

describe('agent API grants', () => {
  it('answers health without a grant', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ agentId: AGENT, version: '0.1.0' });
  });

  it.each([
    ['no grant', undefined, 'missing grant'],
    ['a forged grant', `Bearer ${forger.issue({ aud: AGENT, sid: 's1', act: 'control' }, 60)}`, 'signature'],
    ['an expired grant', `Bearer ${signer.issue({ aud: AGENT, sid: 's1', act: 'control' }, -5)}`, 'expired'],
    ['a grant for another agent', grant('s1', 'control', randomUUID()), 'another agent'],
    ['a grant for another session', grant('s2'), 'another session'],
    ['a grant for another action', grant('s1', 'stream'), 'does not allow control'],
    ['garbage', 'Bearer not-a-grant', 'malformed'],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`, 'missing grant'],
  ])('refuses %s with 401', async (_name, authorization, reason) => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/sessions/s1',
      headers: authorization ? { authorization } : {},
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining(reason) } });
  });

  it('binds a create grant to the body sessionId', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: grant('sess-a', 'create') },
      payload: createBody('sess-b'),
    });
    expect(res.statusCode).toBe(401);
    expect(runtime.calls.some((c) => c.includes('sess-b'))).toBe(false);
  });

  it('with a valid grant, a create body without sessionId is a 400 naming the field', async () => {
    const { sessionId: _drop, ...body } = createBody('sess-c');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: grant('sess-c', 'create') },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid', details: { field: 'sessionId' } });
  });

  it('refuses every grant with 503 until the agent is registered', async () => {
    registered = false;
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/sessions/s1',
        headers: { authorization: grant('s1') },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('unavailable');
    } finally {
      registered = true;
    }
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});

describe('agent API disconnect', () => {
  const post = (authorization: string, payload: unknown, sid = 's1') =>
    app.inject({
      method: 'POST',
      url: `/v1/sessions/${sid}/disconnect`,
      headers: { authorization },
      payload: payload as object,
    });

  it('closes the streams the body names and answers how many', async () => {
    disconnects.length = 0;
    const one = await post(grant('s1'), { userId: 'u-1' });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ closed: 1 });
    const all = await post(grant('s1'), { allExceptOwner: true });
    expect(all.json()).toEqual({ closed: 2 });
    expect(disconnects).toEqual([
      { sessionId: 's1', target: { userId: 'u-1' } },
      { sessionId: 's1', target: { allExceptOwner: true } },
    ]);
  });

  it.each([
    ['a forged grant', `Bearer ${forger.issue({ aud: AGENT, sid: 's1', act: 'control' }, 60)}`],
    ['a grant for another session', grant('s2')],
    ['a stream grant', grant('s1', 'stream')],
    ['a grant for another agent', grant('s1', 'control', randomUUID())],
  ])('refuses %s with 401 and closes nothing', async (_name, authorization) => {
    disconnects.length = 0;
    const res = await post(authorization, { allExceptOwner: true });
    expect(res.statusCode).toBe(401);
    expect(disconnects).toEqual([]);
  });

  it.each([
    ['an empty body', {}],
    ['allExceptOwner false', { allExceptOwner: false }],
    ['both at once', { userId: 'u-1', allExceptOwner: true }],
  ])('refuses %s with 400', async (_name, payload) => {
    const res = await post(grant('s1'), payload);
    expect(res.statusCode).toBe(400);
  });
});

describe('agent API sessions', () => {
  it('creates, is idempotent, pauses, resumes, stops, execs, deletes', async () => {
    const id = `s-${randomUUID().slice(0, 8)}`;
    const create = () =>
      app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { authorization: grant(id, 'create') },
        payload: createBody(id),
      });
    const first = await create();
    expect(first.statusCode).toBe(201);
    const state = first.json();
    expect(state).toMatchObject({ sessionId: id, state: 'running' });
    expect(state.hostPort).toBeGreaterThan(0);
    const again = await create();
    expect(again.statusCode).toBe(200);
    expect(again.json().containerId).toBe(state.containerId);

    const call = (method: 'GET' | 'POST' | 'DELETE', path: string, payload?: object) =>
      app.inject({
        method,
        url: `/v1/sessions/${id}${path}`,
        headers: { authorization: grant(id) },
        ...(payload ? { payload } : {}),
      });
    expect((await call('GET', '/ready?timeoutMs=1000')).json()).toEqual({ readyMs: 7 });
    expect((await call('POST', '/pause')).json().state).toBe('paused');
    expect((await call('POST', '/pause')).json().state).toBe('paused');
    expect((await call('POST', '/exec', { cmd: 'true' })).statusCode).toBe(409);
    expect((await call('POST', '/resume')).json().state).toBe('running');
    const exec = await call('POST', '/exec', { cmd: 'echo hi' });
    expect(exec.json()).toEqual({ exitCode: 0, output: 'ran echo hi\n', truncated: false });
    const detached = await app.inject({
      method: 'POST',
      url: `/v1/sessions/${id}/exec?wait=false`,
      headers: { authorization: grant(id) },
      payload: { cmd: 'sleep 1' },
    });
    expect(detached.statusCode).toBe(202);
    expect((await call('POST', '/stop')).json().state).toBe('exited');
    expect((await call('POST', '/resume')).json().state).toBe('running');
    expect((await call('DELETE', '')).statusCode).toBe(204);
    expect((await call('DELETE', '')).statusCode).toBe(204);
    expect((await call('GET', '')).statusCode).toBe(404);
  });

  it.each([
    ['memoryBytes above the host', { memoryBytes: 64 * 1024 ** 3 }, 'memoryBytes'],
    ['cores above the host', { cores: 64 }, 'cores'],
    ['a wrong type', { memoryBytes: 'lots' }, 'memoryBytes'],
    ['an unknown field', { privileged: true }, 'privileged'],
    ['a reserved variable', { environment: { VNC_PW: 'x' } }, 'environment.VNC_PW'],
    [
      'an engine socket mount',
      { volumes: [{ source: '/var/run/docker.sock', target: '/s' }] },
      'volumes[0].source',
    ],
    ['an image that is not here', { image: { ref: 'nowhere/none:1', name: 'none' } }, 'image.ref'],
  ])('refuses %s with a 400 naming the field and creates nothing', async (_name, extra, field) => {
    const id = `bad-${randomUUID().slice(0, 8)}`;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: grant(id, 'create') },
      payload: createBody(id, extra),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid');
    expect(res.json().error.message).toContain(field);
    expect(res.json().error.details.field).toBe(field);
    expect(runtime.calls.some((c) => c.includes(id))).toBe(false);
  });

  it('refuses a bad readiness timeout and malformed JSON with 400', async () => {
    const bad = await app.inject({
      method: 'GET',
      url: '/v1/sessions/x/ready?timeoutMs=soon',
      headers: { authorization: grant('x') },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('timeoutMs');
    const json = await app.inject({
      method: 'POST',
      url: '/v1/sessions/x/exec',
      headers: { authorization: grant('x'), 'content-type': 'application/json' },
      payload: '{"cmd":',
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toBe('invalid');
  });
});
