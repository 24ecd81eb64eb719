import { sessionViewSchema } from '@porthole/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApiError, errorFromBody, request, requestVoid } from './client';

function respond(status: number, body: unknown, raw = false) {
  const text = raw ? String(body) : JSON.stringify(body);
  return vi.fn(async () => new Response(status === 204 ? null : text, { status }));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('errorFromBody', () => {
  it('reads code, message and the field issues of a 400', () => {
    const e = errorFromBody(
      400,
      JSON.stringify({
        error: {
          code: 'invalid',
          message: 'username: username is required',
          details: {
            issues: [
              { field: 'username', message: 'username is required' },
              { field: 'settings.max_sessions_per_user', message: 'Too big: expected number to be <=1000' },
            ],
          },
        },
      }),
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid');
    expect(e.message).toBe('username: username is required');
    expect(e.fieldIssues).toHaveLength(2);
    expect(e.fieldError('username')).toBe('username is required');
    expect(e.fieldError('settings.max_sessions_per_user')).toMatch(/<=1000/);
    expect(e.fieldError('password')).toBeUndefined();
  });

  it('keeps other details, such as the session limit of a 409', () => {
    const e = errorFromBody(
      409,
      JSON.stringify({ error: { code: 'conflict', message: 'limit reached', details: { limit: 2 } } }),
    );
    expect(e.code).toBe('conflict');
    expect(e.detailNumber('limit')).toBe(2);
    expect(e.fieldIssues).toEqual([]);
  });

  it('ignores malformed issues instead of guessing', () => {
    const e = errorFromBody(
      400,
      JSON.stringify({ error: { code: 'invalid', message: 'bad', details: { issues: [{ path: 'x' }] } } }),
    );
    expect(e.fieldIssues).toEqual([]);
    expect(e.message).toBe('bad');
  });

  it('maps a body that is not the error shape (a proxy page) to a code by status', () => {
    const e = errorFromBody(502, '<html>Bad Gateway</html>');
    expect(e.code).toBe('unavailable');
    expect(e.message).toMatch(/HTTP 502/);
    expect(errorFromBody(404, '').code).toBe('not_found');
    expect(errorFromBody(401, 'nope').code).toBe('unauthorized');
  });
});

describe('request', () => {
  const view = {
    id: 's1',
    userId: 'u1',
    username: 'ann',
    imageId: 'i1',
    imageName: 'firefox',
    imageFriendlyName: 'Firefox',
    agentId: null,
    agentName: null,
    zoneId: null,
    state: 'requested',
    stateReason: null,
    staged: false,
    cores: 1,
    memoryMb: 1024,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    runningAt: null,
    keepaliveAt: '2026-01-01T00:00:00Z',
    expiresAt: null,
    lastActivityAt: null,
    shareId: null,
    streamPath: '/session/s1/',
  };

  it('parses a good answer with the contract schema and sends JSON with the cookie', async () => {
    const fetchMock = respond(201, view);
    vi.stubGlobal('fetch', fetchMock);
    const out = await request('POST', '/api/sessions', sessionViewSchema, { body: { imageId: 'x' } });
    expect(out.imageFriendlyName).toBe('Firefox');
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(init.body).toBe('{"imageId":"x"}');
  });

  it('rejects an answer that does not match its contract', async () => {
    vi.stubGlobal('fetch', respond(200, { ...view, state: 'exploded' }));
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await expect(request('GET', '/api/sessions/s1', sessionViewSchema)).rejects.toMatchObject({
      code: 'bad_response',
    });
    spy.mockRestore();
  });

  it('throws the server error as ApiError with field issues', async () => {
    vi.stubGlobal(
      'fetch',
      respond(400, {
        error: {
          code: 'invalid',
          message: 'x',
          details: { issues: [{ field: 'name', message: 'must not be empty' }] },
        },
      }),
    );
    const e = await request('POST', '/api/admin/zones', z.unknown(), { body: {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).fieldError('name')).toBe('must not be empty');
  });

  it('turns a failed connection into a network error', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    await expect(requestVoid('POST', '/api/auth/logout')).rejects.toMatchObject({
      code: 'network',
      status: 0,
    });
  });

  it('accepts a 204 without a body', async () => {
    vi.stubGlobal('fetch', respond(204, null));
    await expect(requestVoid('DELETE', '/api/sessions/s1')).resolves.toBeUndefined();
  });
});
