import type { IncomingHttpHeaders } from 'node:http';
import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import { metricsAccess } from './metrics-access.js';

const TOKEN = 'metrics-token-0123456789';
const SESSION = 'a'.repeat(43);

const admin: Caller = { userId: 'u1', username: 'admin', isAdmin: true };
const user: Caller = { userId: 'u2', username: 'user', isAdmin: false };
const key = (permissions: Array<'global_admin' | 'sessions_view'>): Caller => ({
  userId: '00000000-0000-0000-0000-000000000000',
  username: 'api-key:scraper',
  isAdmin: false,
  apiKey: { id: 'k1', name: 'scraper', permissions, readOnly: true },
});

function setup(opts: { token?: string; session?: Caller | null; apiKey?: Caller } = {}) {
  const auth = {
    resolveSession: vi.fn(async (_t: string) => opts.session ?? null),
    resolveApiKey: vi.fn(async (_c: string) => {
      if (!opts.apiKey) throw new UnauthorizedError('api key not valid');
      return opts.apiKey;
    }),
  };
  const check = (peer: string | undefined, headers: IncomingHttpHeaders = {}) =>
    metricsAccess({ peer, headers }, { token: 'token' in opts ? opts.token : TOKEN, auth });
  return { auth, check };
}

const REMOTE = '203.0.113.9';

// @fastify/cookie loads its parser when the plugin is first registered, as the server does.
beforeAll(async () => {
  const app = Fastify();
  await app.register(cookie);
  await app.ready();
  await app.close();
});

describe('metrics access', () => {
  it('lets the metrics token in from anywhere, without asking for an API key', async () => {
    const { check, auth } = setup();
    await expect(check(REMOTE, { authorization: `Bearer ${TOKEN}` })).resolves.toBe('token');
    await expect(check(REMOTE, { authorization: `bearer  ${TOKEN} ` })).resolves.toBe('token');
    expect(auth.resolveApiKey).not.toHaveBeenCalled();
  });

  it('refuses a wrong token with 401, from loopback too', async () => {
    const { check } = setup();
    await expect(check(REMOTE, { authorization: `Bearer ${TOKEN}x` })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(check('127.0.0.1', { authorization: 'Bearer nope' })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(check('127.0.0.1', { authorization: 'Bearer' })).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('without a configured token, a bearer must be an API key', async () => {
    const { check } = setup({ token: undefined });
    await expect(check(REMOTE, { authorization: `Bearer ${TOKEN}` })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('lets API keys with global_admin in; other keys are forbidden, bad ones unauthorized', async () => {
    await expect(
      setup({ apiKey: key(['global_admin']) }).check(REMOTE, { authorization: 'Bearer k1:secret' }),
    ).resolves.toBe('api-key');
    await expect(
      setup({ apiKey: key(['sessions_view']) }).check(REMOTE, { authorization: 'Bearer k1:secret' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(setup().check(REMOTE, { authorization: 'Bearer k1:wrong' })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('lets a signed-in administrator in; a signed-in user is forbidden', async () => {
    const cookie = `porthole_session=${SESSION}`;
    await expect(setup({ session: admin }).check(REMOTE, { cookie })).resolves.toBe('admin');
    await expect(setup({ session: user }).check(REMOTE, { cookie })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('lets this machine in without credentials when it talks to the server directly', async () => {
    const { check } = setup();
    for (const peer of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1'])
      await expect(check(peer), peer).resolves.toBe('loopback');
  });

  it('refuses loopback that came through a proxy (every request behind nginx is from loopback)', async () => {
    const { check } = setup();
    for (const headers of [
      { 'x-forwarded-for': REMOTE },
      { forwarded: `for=${REMOTE}` },
      { 'x-real-ip': REMOTE },
    ])
      await expect(check('127.0.0.1', headers), JSON.stringify(headers)).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
  });

  it('answers 401 to anyone else without credentials', async () => {
    const { check } = setup();
    for (const peer of [REMOTE, '10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', undefined])
      await expect(check(peer), String(peer)).rejects.toBeInstanceOf(UnauthorizedError);
    // A cookie that names no live sign-in is no credential.
    await expect(check(REMOTE, { cookie: `porthole_session=${SESSION}` })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });
});
