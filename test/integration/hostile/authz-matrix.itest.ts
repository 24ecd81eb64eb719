import type { ApiKeyCreated, ImageView } from '@porthole/contracts';
import { apiKeyPermissions } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { recordFigure } from '../../reliability/support/figures.js';
import { ApiClient, nextAddress, pageOrigin } from '../../support/http.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from '../support/server.js';
import { basic, bearer, type HostileStack, startHostileStack, USER_PASSWORD } from './support.js';

/**
 * The authorization matrix: every route of the server's own route table
 * (`startServer(...).routes`) × every kind of caller, each cell checked against the expectation
 * table below. A route the table does not classify fails the test, so a new route cannot ship
 * without deciding who may call it.
 *
 * Callers: anonymous; owner (a user with a running, shared session); stranger (another user);
 * viewer (joined the owner's session by its share link); admin; and one API key per permission
 * (`key:<permission>`) plus a read-only global_admin key. Cookie callers send their cookie; keys
 * use Bearer on the native API and Basic on the developer API (/api/public/, its own scheme).
 *
 * Expected outcomes: `ok` 2xx · `invalid` 400 (bodies are `{}`/`{"__matrix":1}`, so nothing is
 * written by an authorized write) · `pass` authorized, any non-5xx answer but 401/403/404 ·
 * 401 · 403 · 404 (someone else's session looks absent). Cells expected to succeed at something
 * destructive (DELETE, pause, stop, join, participant removal) get a fresh target of their own.
 *
 * | Route family                                  | anon | owner | stranger | viewer | admin | global_admin key | read-only g_a key | other keys |
 * |-----------------------------------------------|------|-------|----------|--------|-------|------------------|-------------------|------------|
 * | web app files, GET /api/health, /openapi.json | ok   | ok    | ok       | ok     | ok    | ok               | ok                | ok         |
 * | POST /api/auth/login, /api/agent/register     | 400  | 400   | 400      | 400    | 400   | 400              | 400               | 400        |
 * | GET /api/auth/one-time (no token)             | 400  | 400   | 400      | 400    | 400   | 400              | 400               | 400        |
 * | POST /api/auth/logout                         | ok   | ok    | ok       | ok     | ok    | ok               | ok                | ok         |
 * | POST /api/agent/checkin (agent credentials)   | 401  | 401   | 401      | 401    | 401   | 401              | 401               | 401        |
 * | GET /api/auth/me, /api/sessions, /workspaces  | 401  | ok    | ok       | ok     | ok    | 403              | 403               | 403        |
 * | POST /api/sessions                            | 401  | 400   | 400      | 400    | 400   | 403              | 403               | 403        |
 * | POST /api/shares/:shareId/join                | 401  | ok    | ok       | ok     | ok    | 403              | 403               | 403        |
 * | session read: GET /api/sessions/:id{,/events} | 401  | ok    | 404      | 404    | ok    | 403              | 403               | 403        |
 * | session write: keepalive/pause/stop/DELETE    | 401  | ok    | 404      | 404    | ok    | 403              | 403               | 403        |
 * | POST /api/sessions/:id/resume (running)       | 401  | pass  | 404      | 404    | pass  | 403              | 403               | 403        |
 * | share: POST/DELETE /api/sessions/:id/share    | 401  | ok    | 404      | 404    | ok    | 403              | 403               | 403        |
 * | GET /api/sessions/:id/participants            | 401  | ok    | 404      | ok     | ok    | 403              | 403               | 403        |
 * | DELETE …/participants/:userId                 | 401  | ok    | 404      | 404    | ok    | 403              | 403               | 403        |
 * | GET /session/<id>/ (the stream proxy)         | 401  | ok    | 404      | ok     | ok    | 403              | 403               | 403        |
 * | GET /api/internal/session-auth (nginx)        | 401  | ok    | 403      | ok     | ok    | 403              | 403               | 403        |
 * | /api/admin/* reads (GET)                      | 401  | 403   | 403      | 403    | ok    | ok               | ok                | 403        |
 * | GET /metrics (not loopback: forwarded)        | 401  | 403   | 403      | 403    | ok    | ok               | ok                | 403        |
 * | /api/admin/* writes (POST/PATCH: 400; DELETE, rotate: ok) | 401 | 403 | 403 | 403 | ok/400 | ok/400   | 403               | 403        |
 * | /api/admin/api-keys* (keys never mint keys)   | 401  | 403   | 403      | 403    | ok/400| 403              | 403               | 403        |
 * | /api/public/* (developer API)                 | 401  | 401   | 401      | 401    | 401   | ok/400           | reads ok/400, writes 403 | per KASM_PERMISSIONS: ok/400, else 403 |
 */

type Outcome = 'ok' | 'invalid' | 'pass' | 401 | 403 | 404;
type Person = 'anonymous' | 'owner' | 'stranger' | 'viewer' | 'admin';
type CallerName = Person | `key:${string}`;

/** docs/api/kasm-compat.md: which permissions open which developer-API endpoint (global_admin opens all). */
const KASM_PERMISSIONS: Record<string, { anyOf: string[]; write: boolean; emptyBodyOk?: boolean }> = {
  request_kasm: { anyOf: ['users_auth_session'], write: true },
  get_kasm_status: { anyOf: ['sessions_view', 'users_auth_session'], write: false },
  get_kasms: { anyOf: ['sessions_view'], write: false, emptyBodyOk: true },
  get_user_kasms: { anyOf: ['sessions_view'], write: false },
  destroy_kasm: { anyOf: ['sessions_modify'], write: true },
  keepalive: { anyOf: ['sessions_modify', 'users_auth_session'], write: true },
  pause_kasm: { anyOf: ['sessions_modify'], write: true },
  resume_kasm: { anyOf: ['sessions_modify'], write: true },
  join_kasm: { anyOf: ['users_auth_session'], write: true },
  exec_command_kasm: { anyOf: ['sessions_modify'], write: true },
  get_images: { anyOf: ['images_view'], write: false, emptyBodyOk: true },
  get_users: { anyOf: ['users_view'], write: false, emptyBodyOk: true },
  get_user: { anyOf: ['users_view'], write: false },
  create_user: { anyOf: ['users_create'], write: true },
  update_user: { anyOf: ['users_modify'], write: true },
  delete_user: { anyOf: ['users_delete'], write: true },
  logout_user: { anyOf: ['users_auth_session'], write: true },
  add_user_group: { anyOf: ['groups_modify'], write: true },
  remove_user_group: { anyOf: ['groups_modify'], write: true },
  stop_kasm: { anyOf: ['sessions_modify'], write: true },
  get_zones: { anyOf: ['zones_view'], write: false, emptyBodyOk: true },
  get_staging_configs: { anyOf: ['staging_view'], write: false, emptyBodyOk: true },
  get_staging_config: { anyOf: ['staging_view'], write: false },
  create_staging_config: { anyOf: ['staging_create'], write: true },
  update_staging_config: { anyOf: ['staging_modify'], write: true },
  delete_staging_config: { anyOf: ['staging_delete'], write: true },
  get_attributes: { anyOf: ['users_view'], write: false },
  update_user_attributes: { anyOf: ['users_modify'], write: true },
  get_user_permissions: { anyOf: ['users_view'], write: false },
  add_user_permission: { anyOf: ['groups_modify'], write: true },
  remove_user_permission: { anyOf: ['groups_modify'], write: true },
};

const PEOPLE: Person[] = ['anonymous', 'owner', 'stranger', 'viewer', 'admin'];
const KEYS = [...apiKeyPermissions.map((p) => `key:${p}`), 'key:global_admin:read-only'] as CallerName[];
const CALLERS: CallerName[] = [...PEOPLE, ...KEYS];
const isKey = (c: CallerName): c is `key:${string}` => c.startsWith('key:');
const isUser = (c: CallerName) => c === 'owner' || c === 'stranger' || c === 'viewer' || c === 'admin';

/** A request to make for one cell: path (params filled), body, extra headers, cleanup. */
interface Cell {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the caller's cookie (a fresh sign-in for logout). */
  cookie?: string;
  cleanup?: () => Promise<void>;
}

interface Rule {
  family: string;
  match: (method: string, url: string) => boolean;
  expect: (caller: CallerName, method: string, url: string) => Outcome;
  /** Builds the request for a cell; `fresh` when the cell is expected to succeed at something destructive. */
  cell?: (s: HostileStack, caller: CallerName, method: string, url: string, fresh: boolean) => Promise<Cell>;
}

const everyone = (o: Outcome) => (): Outcome => o;
/** Signed-in users get `o`; anonymous 401; API keys (which act for no user) 403. */
const users =
  (o: Outcome) =>
  (c: CallerName): Outcome =>
    c === 'anonymous' ? 401 : isKey(c) ? 403 : o;
/** Owner (and admin) get `o`; others' sessions look absent. */
const sessionOwner =
  (o: Outcome, viewer: Outcome = 404) =>
  (c: CallerName): Outcome => {
    if (c === 'anonymous') return 401;
    if (isKey(c)) return 403;
    if (c === 'owner' || c === 'admin') return o;
    return c === 'viewer' ? viewer : 404;
  };

function adminExpect(c: CallerName, method: string, url: string): Outcome {
  if (c === 'anonymous') return 401;
  if (!isKey(c) && c !== 'admin') return 403;
  if (isKey(c) && c !== 'key:global_admin' && c !== 'key:global_admin:read-only') return 403;
  // An API key cannot manage API keys (a leaked key must not mint more), whatever it holds.
  if (isKey(c) && url.startsWith('/api/admin/api-keys')) return 403;
  if (c === 'key:global_admin:read-only' && method !== 'GET') return 403;
  if (method === 'GET') return 'ok';
  if (method === 'DELETE' || url.endsWith('/rotate')) return 'ok';
  return 'invalid';
}

function kasmExpect(c: CallerName, _method: string, url: string): Outcome {
  const name = url.slice('/api/public/'.length);
  const spec = KASM_PERMISSIONS[name];
  if (!spec) throw new Error(`no expectation for developer-API endpoint ${name}`);
  if (!isKey(c)) return 401;
  const perm = c.slice('key:'.length);
  const readOnly = perm === 'global_admin:read-only';
  const granted = perm === 'global_admin' || readOnly || spec.anyOf.includes(perm);
  if (!granted || (readOnly && spec.write)) return 403;
  return spec.emptyBodyOk ? 'ok' : 'invalid';
}

const INVALID = { __matrix: 1 };

/** A fresh running session of the owner, shared, with the viewer joined. */
async function freshSession(
  s: HostileStack,
): Promise<{ id: string; shareId: string; cleanup: () => Promise<void> }> {
  const created = await s.owner.api.expect<{ id: string }>(201, 'POST', '/api/sessions', {
    imageId: s.workspace.id,
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await s.owner.api.expect<{ state: string }>(200, 'GET', `/api/sessions/${created.id}`);
    if (v.state === 'running') break;
    if (Date.now() > deadline) throw new Error(`fresh session is ${v.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const share = await s.owner.api.expect<{ shareId: string }>(
    200,
    'POST',
    `/api/sessions/${created.id}/share`,
  );
  await s.viewer.api.expect(200, 'POST', `/api/shares/${share.shareId}/join`);
  return {
    id: created.id,
    shareId: share.shareId,
    cleanup: async () => {
      await s.admin.request('DELETE', `/api/admin/sessions/${created.id}`);
    },
  };
}

let uniq = 0;
const unique = (p: string) => {
  uniq += 1;
  return `${p}-${Date.now().toString(36)}-${uniq}`;
};

/** A fresh row for an admin DELETE that should succeed. */
async function freshAdminTarget(
  s: HostileStack,
  collection: string,
): Promise<{ id: string; cleanup?: () => Promise<void> }> {
  const post = <T>(path: string, body: unknown) => s.admin.expect<T>(201, 'POST', path, body);
  switch (collection) {
    case 'users':
      return post<{ id: string }>('/api/admin/users', {
        username: `${unique('doomed')}@x.test`,
        password: USER_PASSWORD,
      });
    case 'groups':
      return post<{ id: string }>('/api/admin/groups', { name: unique('doomed') });
    case 'zones':
      return post<{ id: string }>('/api/admin/zones', { name: unique('doomed') });
    case 'images':
      return post<ImageView>('/api/admin/images', {
        name: unique('doomed'),
        friendlyName: 'Doomed',
        dockerImage: 'porthole/doomed:latest',
        cores: 0.1,
        memoryMb: 64,
        enabled: false,
      });
    case 'api-keys':
      return post<ApiKeyCreated>('/api/admin/api-keys', { name: unique('doomed'), permissions: [] });
    case 'staging': {
      // One pool per zone and workspace: a zone of its own.
      const zone = await post<{ id: string }>('/api/admin/zones', { name: unique('doomed') });
      return post<{ id: string }>('/api/admin/staging', {
        zoneId: zone.id,
        imageId: s.spareWorkspace.id,
        desiredCount: 0,
      });
    }
    case 'agents': {
      const { token } = await s.admin.expect<{ token: string }>(
        200,
        'GET',
        '/api/admin/agents/registration-token',
      );
      const res = await fetch(`${s.url}/api/agent/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, name: unique('doomed'), url: 'http://127.0.0.1:9/', version: 'x' }),
      });
      if (res.status !== 201) throw new Error(`register: ${res.status}`);
      return { id: ((await res.json()) as { agentId: string }).agentId };
    }
    case 'sessions': {
      const f = await freshSession(s);
      return { id: f.id, cleanup: f.cleanup };
    }
    default:
      throw new Error(`no fresh target for DELETE /api/admin/${collection}/:id`);
  }
}

/** Existing rows for admin reads and invalid writes. */
function adminId(s: HostileStack, collection: string): string {
  const ids: Record<string, string> = {
    users: s.spareUser.id,
    groups: s.spareGroup.id,
    zones: s.spareZone.id,
    images: s.spareWorkspace.id,
    'api-keys': s.spareKey.id,
    staging: s.stagingId,
    agents: s.spareAgent.agentId,
    sessions: s.sessionId,
  };
  const id = ids[collection];
  if (!id) throw new Error(`no existing row for /api/admin/${collection}/:id`);
  return id;
}

const sessionPath = (url: string, id: string) => url.replace(':id', id);

const RULES: Rule[] = [
  {
    // Before 'public': a GET outside /api/, but every cell is forwarded, so loopback lets no one in.
    family: 'metrics',
    match: (m, u) => m === 'GET' && u === '/metrics',
    expect: adminExpect,
  },
  {
    family: 'public',
    match: (m, u) =>
      (m === 'GET' && !u.startsWith('/api/') && !u.startsWith('/session/')) ||
      u === '/api/health' ||
      u === '/api/openapi.json',
    expect: everyone('ok'),
  },
  {
    family: 'bodies that authenticate themselves',
    match: (m, u) => m === 'POST' && (u === '/api/auth/login' || u === '/api/agent/register'),
    expect: everyone('invalid'),
    cell: async () => ({ path: '', body: INVALID }),
  },
  {
    family: 'one-time sign-in link',
    match: (m, u) => m === 'GET' && u === '/api/auth/one-time',
    expect: everyone('invalid'),
  },
  {
    family: 'logout',
    match: (m, u) => m === 'POST' && u === '/api/auth/logout',
    expect: everyone('ok'),
    cell: async (s, c) => {
      if (!isUser(c)) return { path: '' };
      // A sign-in of its own, so the caller's main cookie survives.
      const api = new ApiClient(s.url, { forwardedFor: nextAddress() });
      if (c === 'admin') await api.signIn(ADMIN_USERNAME, ADMIN_PASSWORD);
      else await api.signIn(s[c as 'owner' | 'stranger' | 'viewer'].username, USER_PASSWORD);
      return { path: '', cookie: api.cookieHeader ?? '' };
    },
  },
  {
    family: 'agent check-in',
    match: (m, u) => m === 'POST' && u === '/api/agent/checkin',
    expect: everyone(401),
    cell: async () => ({ path: '', body: INVALID }),
  },
  {
    family: 'signed-in user reads',
    match: (m, u) => m === 'GET' && ['/api/auth/me', '/api/sessions', '/api/workspaces'].includes(u),
    expect: users('ok'),
  },
  {
    family: 'launch',
    match: (m, u) => m === 'POST' && u === '/api/sessions',
    expect: users('invalid'),
    cell: async () => ({ path: '', body: INVALID }),
  },
  {
    family: 'join by share link',
    match: (m, u) => m === 'POST' && u === '/api/shares/:shareId/join',
    expect: users('ok'),
    cell: async (s, _c, _m, u, fresh) => {
      if (!fresh) return { path: u.replace(':shareId', s.shareId) };
      const f = await freshSession(s);
      return { path: u.replace(':shareId', f.shareId), cleanup: f.cleanup };
    },
  },
  {
    family: 'session reads',
    match: (m, u) => m === 'GET' && (u === '/api/sessions/:id' || u === '/api/sessions/:id/events'),
    expect: sessionOwner('ok'),
  },
  {
    family: 'session resume',
    match: (m, u) => m === 'POST' && u === '/api/sessions/:id/resume',
    expect: sessionOwner('pass'),
  },
  {
    family: 'session writes',
    match: (m, u) =>
      (m === 'POST' && /^\/api\/sessions\/:id\/(keepalive|pause|stop|share)$/.test(u)) ||
      (m === 'DELETE' && (u === '/api/sessions/:id' || u === '/api/sessions/:id/share')),
    expect: sessionOwner('ok'),
  },
  {
    family: 'participants',
    // The session page's read (/access) answers whoever the participants list does.
    match: (m, u) =>
      m === 'GET' && (u === '/api/sessions/:id/participants' || u === '/api/sessions/:id/access'),
    expect: sessionOwner('ok', 'ok'),
  },
  {
    family: 'participant removal',
    match: (m, u) => m === 'DELETE' && u === '/api/sessions/:id/participants/:userId',
    expect: sessionOwner('ok'),
  },
  {
    family: 'stream proxy',
    match: (m, u) => m === 'GET' && u === '/session/*',
    expect: sessionOwner('ok', 'ok'),
    cell: async (s) => ({ path: `/session/${s.sessionId}/` }),
  },
  {
    family: 'stream auth for nginx',
    match: (m, u) => m === 'GET' && u === '/api/internal/session-auth',
    expect: (c) => (c === 'stranger' ? 403 : sessionOwner('ok', 'ok')(c)),
    cell: async (s) => ({ path: '', headers: { 'x-original-uri': `/session/${s.sessionId}/websockify` } }),
  },
  {
    family: 'admin',
    match: (_m, u) => u.startsWith('/api/admin/'),
    expect: adminExpect,
    cell: async (s, _c, m, u, fresh) => {
      const collection = /^\/api\/admin\/([^/]+)\/:id/.exec(u)?.[1];
      if (!collection) return { path: u, ...(m === 'POST' || m === 'PATCH' ? { body: INVALID } : {}) };
      if (m === 'DELETE' && fresh) {
        const t = await freshAdminTarget(s, collection);
        return { path: u.replace(':id', t.id), ...(t.cleanup ? { cleanup: t.cleanup } : {}) };
      }
      return {
        path: u.replace(':id', adminId(s, collection)),
        ...(m === 'POST' || m === 'PATCH' ? { body: INVALID } : {}),
      };
    },
  },
  {
    family: 'developer API',
    match: (m, u) => m === 'POST' && u.startsWith('/api/public/'),
    expect: kasmExpect,
    cell: async () => ({ path: '', body: {} }),
  },
];

/** Cells that must succeed at something destructive get a target of their own. */
function needsFresh(method: string, url: string, expected: Outcome): boolean {
  if (expected !== 'ok' && expected !== 'pass') return false;
  if (url === '/api/shares/:shareId/join') return true;
  if (url.startsWith('/api/admin/')) return method === 'DELETE';
  return (
    url.startsWith('/api/sessions/:id') &&
    (method === 'DELETE' || (method === 'POST' && !url.endsWith('/keepalive')))
  );
}

function matches(expected: Outcome, status: number): boolean {
  if (status >= 500) return false;
  if (expected === 'ok') return status >= 200 && status < 300;
  if (expected === 'invalid') return status === 400;
  if (expected === 'pass') return ![401, 403, 404].includes(status);
  return status === expected;
}

function credentials(s: HostileStack, caller: CallerName, url: string): Record<string, string> {
  if (caller === 'anonymous') return {};
  if (isKey(caller)) {
    const key = s.keys.get(caller.slice('key:'.length));
    if (!key) throw new Error(`no ${caller}`);
    return { authorization: url.startsWith('/api/public/') ? basic(key) : bearer(key) };
  }
  const api = caller === 'admin' ? s.admin : s[caller].api;
  return { cookie: api.cookieHeader ?? '' };
}

let stack: HostileStack;

beforeAll(async () => {
  stack = await startHostileStack(`matrix${Date.now().toString(36)}`);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('authorization matrix over the route table', () => {
  it('classifies every route', () => {
    const unclassified = stack.ts.server.routes.filter(
      (r) => !RULES.some((rule) => rule.match(r.method, r.url)),
    );
    expect(unclassified).toEqual([]);
  });

  it('answers every caller × route as the table says', async () => {
    const mismatches: string[] = [];
    const counts: Record<string, number> = {};
    let cells = 0;
    // One static file stands for all the web app's (they are one rule); the rest are checked once each.
    let staticSeen = 0;
    for (const route of stack.ts.server.routes) {
      const rule = RULES.find((r) => r.match(route.method, route.url));
      if (!rule) continue;
      if (rule.family === 'public' && !route.url.startsWith('/api/')) {
        staticSeen += 1;
        if (staticSeen > 3) continue;
      }
      // A route's cells run side by side (each destructive one has its own target).
      await Promise.all(
        CALLERS.map(async (caller) => {
          const expected = rule.expect(caller, route.method, route.url);
          const fresh = needsFresh(route.method, route.url, expected);
          let cell: Cell;
          if (rule.cell) {
            cell = await rule.cell(stack, caller, route.method, route.url, fresh);
            if (cell.path === '') cell.path = route.url;
          } else if (route.url.startsWith('/api/sessions/:id')) {
            const f = fresh ? await freshSession(stack) : null;
            cell = {
              path: sessionPath(route.url, f?.id ?? stack.sessionId).replace(':userId', stack.viewer.id),
              ...(f ? { cleanup: f.cleanup } : {}),
            };
          } else cell = { path: route.url };
          const headers: Record<string, string> = {
            'x-forwarded-for': '203.0.113.9',
            ...credentials(stack, caller, route.url),
            ...cell.headers,
          };
          if (cell.cookie !== undefined) headers.cookie = cell.cookie;
          if (cell.body !== undefined) headers['content-type'] = 'application/json';
          const res = await fetch(`${stack.url}${cell.path}`, {
            method: route.method,
            headers,
            body: cell.body === undefined ? null : JSON.stringify(cell.body),
            redirect: 'manual',
            signal: AbortSignal.timeout(30_000),
          });
          const text = await res.text();
          cells += 1;
          const key = String(expected);
          counts[key] = (counts[key] ?? 0) + 1;
          if (!matches(expected, res.status))
            mismatches.push(
              `${route.method} ${cell.path} as ${caller}: expected ${expected} (${rule.family}), got ${res.status} ${text.slice(0, 160)}`,
            );
          await cell.cleanup?.();
        }),
      );
    }
    recordFigure('hostile-authz', {
      routes: stack.ts.server.routes.length,
      callers: CALLERS.length,
      cells,
      ...counts,
    });
    expect(mismatches).toEqual([]);
  }, 300_000);
});

/**
 * WebSocket upgrades are not in the route table (one upgrade dispatcher claims them), so their
 * matrix is written out: the stream (`/session/<id>/websockify`) and the share chat
 * (`/api/sessions/<id>/chat`). Authorized = anything but a 401/403/404 answer (the fake agent
 * behind the stream does not speak WebSocket, so an authorized stream upgrade ends in a hang-up).
 *
 * | Upgrade | anon | owner | stranger | viewer | admin | any API key (Bearer) |
 * |---------|------|-------|----------|--------|-------|----------------------|
 * | stream  | 401  | yes   | 404      | yes    | yes   | 401 (keys cannot stream) |
 * | chat    | 401  | yes   | 404      | yes    | yes   | 401                  |
 */
function upgrade(url: string, headers: Record<string, string>): Promise<number | 'upgraded' | 'hung up'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['binary'], {
      headers: { origin: pageOrigin(url), ...headers },
      handshakeTimeout: 10_000,
    });
    const done = (r: number | 'upgraded' | 'hung up') => {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(r);
    };
    ws.once('upgrade', () => done('upgraded'));
    ws.once('unexpected-response', (_req, res) => done(res.statusCode ?? 0));
    ws.once('error', () => done('hung up'));
  });
}

describe('WebSocket upgrades', () => {
  it('refuses the stream and the chat to everyone but the owner, viewers and admins', async () => {
    const wsBase = stack.url.replace(/^http/, 'ws');
    const targets = {
      stream: `${wsBase}/session/${stack.sessionId}/websockify`,
      chat: `${wsBase}/api/sessions/${stack.sessionId}/chat`,
    };
    const mismatches: string[] = [];
    for (const [name, url] of Object.entries(targets)) {
      for (const caller of CALLERS) {
        const expected: 'yes' | number =
          caller === 'anonymous' || isKey(caller) ? 401 : caller === 'stranger' ? 404 : 'yes';
        const got = await upgrade(
          url,
          isKey(caller) ? credentials(stack, caller, '/api/') : credentials(stack, caller, url),
        );
        const ok =
          expected === 'yes' ? typeof got !== 'number' || ![401, 403, 404].includes(got) : got === expected;
        if (!ok) mismatches.push(`${name} as ${caller}: expected ${expected}, got ${got}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
