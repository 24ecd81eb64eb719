import type { ApiKeyCreated } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminClient,
  createKey,
  createTestDatabase,
  kasmCall,
  startTestServer,
  type TestServer,
} from './support.js';

/**
 * Every developer-API endpoint, without an agent: 401 for missing and bad credentials, 403 for
 * a key lacking the permission (and for read-only keys on writes), 400 naming the field, always
 * as `{"error_message"}` from the developer API's own error scope.
 */
const SOME_ID = '0123456789abcdef0123456789abcdef';

interface Row {
  endpoint: string;
  write: boolean;
  /** A body that fails validation, and the field the message must name. */
  invalid: unknown;
  field: string;
}

const rows: Row[] = [
  {
    endpoint: 'request_kasm',
    write: true,
    invalid: { user_id: 'nope', image_id: SOME_ID },
    field: 'user_id',
  },
  { endpoint: 'get_kasm_status', write: false, invalid: {}, field: 'kasm_id' },
  { endpoint: 'get_kasms', write: false, invalid: 'not an object', field: 'body' },
  { endpoint: 'get_user_kasms', write: false, invalid: { user_id: 5 }, field: 'user_id' },
  { endpoint: 'destroy_kasm', write: true, invalid: { kasm_id: 'x' }, field: 'kasm_id' },
  { endpoint: 'keepalive', write: true, invalid: { kasm_id: '' }, field: 'kasm_id' },
  { endpoint: 'pause_kasm', write: true, invalid: { kasm_id: SOME_ID, user_id: 'u' }, field: 'user_id' },
  { endpoint: 'resume_kasm', write: true, invalid: {}, field: 'kasm_id' },
  { endpoint: 'join_kasm', write: true, invalid: { user_id: SOME_ID }, field: 'share_id' },
  {
    endpoint: 'exec_command_kasm',
    write: true,
    invalid: { kasm_id: SOME_ID, exec_config: { workdir: '/' } },
    field: 'exec_config.cmd',
  },
  { endpoint: 'get_images', write: false, invalid: ['array'], field: 'body' },
  { endpoint: 'get_users', write: false, invalid: 42, field: 'body' },
  { endpoint: 'get_user', write: false, invalid: { target_user: {} }, field: 'target_user' },
  {
    endpoint: 'create_user',
    write: true,
    invalid: { target_user: { username: 'has space' } },
    field: 'target_user.username',
  },
  {
    endpoint: 'update_user',
    write: true,
    invalid: { target_user: { user_id: 'x' } },
    field: 'target_user.user_id',
  },
  {
    endpoint: 'delete_user',
    write: true,
    invalid: { target_user: { user_id: SOME_ID }, force: 'yes' },
    field: 'force',
  },
  { endpoint: 'logout_user', write: true, invalid: {}, field: 'target_user' },
  {
    endpoint: 'add_user_group',
    write: true,
    invalid: { target_user: { user_id: SOME_ID } },
    field: 'target_group',
  },
  {
    endpoint: 'remove_user_group',
    write: true,
    invalid: { target_user: { user_id: SOME_ID }, target_group: { group_id: 'g' } },
    field: 'target_group.group_id',
  },
  { endpoint: 'stop_kasm', write: true, invalid: { kasm_id: 7 }, field: 'kasm_id' },
  { endpoint: 'get_zones', write: false, invalid: { brief: 'yes' }, field: 'brief' },
  { endpoint: 'get_staging_configs', write: false, invalid: 'nope', field: 'body' },
  {
    endpoint: 'get_staging_config',
    write: false,
    invalid: { target_staging_config: {} },
    field: 'target_staging_config.staging_config_id',
  },
  {
    endpoint: 'create_staging_config',
    write: true,
    invalid: { target_staging_config: { zone_id: SOME_ID, image_id: SOME_ID, num_sessions: 1.5 } },
    field: 'target_staging_config.num_sessions',
  },
  {
    endpoint: 'update_staging_config',
    write: true,
    invalid: { target_staging_config: { staging_config_id: SOME_ID, allow_kasm_audio: true } },
    field: 'target_staging_config.allow_kasm_audio',
  },
  { endpoint: 'delete_staging_config', write: true, invalid: {}, field: 'target_staging_config' },
  { endpoint: 'get_attributes', write: false, invalid: { target_user: 'alice' }, field: 'target_user' },
  {
    endpoint: 'update_user_attributes',
    write: true,
    invalid: { target_user_attributes: { user_id: SOME_ID, theme: 'Dark' } },
    field: 'target_user_attributes.theme',
  },
  { endpoint: 'get_user_permissions', write: false, invalid: {}, field: 'target_user' },
  {
    endpoint: 'add_user_permission',
    write: true,
    invalid: { target_user: { user_id: SOME_ID }, target_permission: { permission_name: 'users_view' } },
    field: 'target_permission.permission_name',
  },
  {
    endpoint: 'remove_user_permission',
    write: true,
    invalid: { target_user: { user_id: SOME_ID } },
    field: 'target_permission',
  },
];

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let root: ApiKeyCreated;
let nothing: ApiKeyCreated;
let readOnly: ApiKeyCreated;

beforeAll(async () => {
  db = await createTestDatabase('kasm_matrix');
  t = await startTestServer(db.url);
  const admin = await adminClient(t.server);
  root = await createKey(admin, ['global_admin']);
  // `user` alone grants nothing in the developer API.
  nothing = await createKey(admin, ['user']);
  readOnly = await createKey(admin, ['global_admin'], { readOnly: true });
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

describe('developer API: authentication, permissions and validation for every endpoint', () => {
  it('covers every endpoint the server registered under /api/public/', () => {
    const registered = t.server.routes
      .filter((r) => r.url.startsWith('/api/public/'))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(registered).toEqual(rows.map((r) => `POST /api/public/${r.endpoint}`).sort());
  });

  for (const row of rows) {
    describe(row.endpoint, () => {
      it('answers 401 without credentials, with a wrong secret and with an unknown key', async () => {
        const none = await kasmCall(t.server.url, row.endpoint, {});
        expect(none.status).toBe(401);
        expect(none.body.error_message).toMatch(/api_key/);
        const wrong = { api_key: root.api_key, api_key_secret: 'wrong' };
        for (const auth of [
          { body: wrong },
          { basic: wrong },
          { body: { api_key: 'nobody', api_key_secret: 'x' } },
        ]) {
          const r = await kasmCall(t.server.url, row.endpoint, {}, auth);
          expect(r.status).toBe(401);
          expect(Object.keys(r.body)).toEqual(['error_message']);
        }
      });

      it('answers 403 to a key without the permission', async () => {
        const r = await kasmCall(t.server.url, row.endpoint, {}, { body: nothing });
        expect(r.status).toBe(403);
        expect(r.body.error_message).toMatch(/permission/);
      });

      it(`${row.write ? 'refuses' : 'allows'} a read-only key`, async () => {
        const r = await kasmCall(t.server.url, row.endpoint, row.invalid, { basic: readOnly });
        if (row.write) {
          expect(r.status).toBe(403);
          expect(r.body.error_message).toMatch(/read-only/);
        } else {
          // Allowed through: the invalid body is what stops it.
          expect(r.status).toBe(400);
        }
      });

      it(`answers 400 naming ${row.field}`, async () => {
        const r = await kasmCall(t.server.url, row.endpoint, row.invalid, { basic: root });
        expect(r.status, JSON.stringify(r.body)).toBe(400);
        expect(r.body.error_message?.startsWith(`${row.field}:`), r.body.error_message).toBe(true);
        expect(Object.keys(r.body)).toEqual(['error_message']);
      });
    });
  }

  it('answers unknown endpoints, other methods and malformed JSON in the same shape', async () => {
    const unknown = await kasmCall(t.server.url, 'get_everything', {}, { body: root });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error_message: 'no such developer API endpoint: get_everything' });
    // A known endpoint under the wrong method says so, instead of claiming the name is unknown.
    const get = await fetch(`${t.server.url}/api/public/get_users?x=1`);
    expect(get.status).toBe(404);
    expect(await get.json()).toEqual({ error_message: 'get_users takes POST only, not GET' });
    const bad = await fetch(`${t.server.url}/api/public/get_users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"api_key": ',
    });
    expect(bad.status).toBe(400);
    expect(Object.keys((await bad.json()) as object)).toEqual(['error_message']);
    // A bearer header the native hook rejects still answers in the developer API's shape.
    const bearer = await fetch(`${t.server.url}/api/public/get_users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: JSON.stringify({ api_key: root.api_key, api_key_secret: root.api_key_secret }),
    });
    expect(bearer.status).toBe(401);
    expect(Object.keys((await bearer.json()) as object)).toEqual(['error_message']);
  });
});
