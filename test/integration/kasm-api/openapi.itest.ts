import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestServer, type TestServer } from './support.js';

/** `GET /api/openapi.json` documents every route the server registered. */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;

interface Operation {
  summary: string;
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  parameters?: Array<{ name: string; in: string }>;
}
type Doc = { openapi: string; info: { version: string }; paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  db = await createTestDatabase('kasm_openapi');
  t = await startTestServer(db.url);
});
afterAll(async () => {
  await t?.stop();
  await db?.drop();
});

// The web build's files are one route each (hashed names): the document has one `/{file}` for them.
const isWebFile = (url: string) =>
  url !== '/' && url !== '/metrics' && !url.startsWith('/api/') && !url.startsWith('/session/');
const toPath = (url: string) =>
  isWebFile(url) ? '/{file}' : url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');

describe('OpenAPI document', () => {
  it('is served without signing in and covers every route in the route table', async () => {
    const res = await fetch(`${t.server.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const missing = t.server.routes
      .filter((r) => !doc.paths[toPath(r.url)]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
    expect(t.server.routes.length).toBeGreaterThan(60);
  });

  it('carries the contracts’ schemas for bodies, responses and path parameters', async () => {
    const doc = (await (await fetch(`${t.server.url}/api/openapi.json`)).json()) as Doc;
    const create = doc.paths['/api/admin/users']?.post;
    const body = create?.requestBody?.content['application/json']?.schema as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(body.properties)).toEqual(
      expect.arrayContaining(['username', 'password', 'groupIds']),
    );
    expect(body.required).toEqual(expect.arrayContaining(['username', 'password']));
    expect(create?.responses['201']?.content?.['application/json']).toBeDefined();
    const key = doc.paths['/api/admin/api-keys']?.post?.responses['201']?.content?.['application/json']
      ?.schema as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(key.properties)).toEqual(
      expect.arrayContaining(['api_key', 'api_key_secret', 'permissions']),
    );
    const session = doc.paths['/api/sessions/{id}']?.get;
    expect(session?.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    const kasm = doc.paths['/api/public/request_kasm']?.post;
    const kasmBody = kasm?.requestBody?.content['application/json']?.schema as {
      required: string[];
      properties: Record<string, { type?: string; description?: string }>;
    };
    expect(kasmBody.required).toEqual(expect.arrayContaining(['user_id', 'image_id']));
    expect(kasmBody.properties.environment).toMatchObject({
      type: 'object',
      description: expect.stringMatching(/refused/),
    });
    expect(kasm?.summary).toMatch(/users_auth_session/);
    const staging = doc.paths['/api/public/create_staging_config']?.post;
    const target = (
      (staging?.requestBody?.content['application/json']?.schema ?? { properties: {} }) as {
        properties: Record<
          string,
          { required: string[]; properties: Record<string, { description?: string }> }
        >;
      }
    ).properties.target_staging_config;
    expect(target?.required).toEqual(expect.arrayContaining(['zone_id', 'image_id', 'num_sessions']));
    expect(target?.properties.allow_kasm_audio?.description).toMatch(/Refused unless null/);
    expect(staging?.summary).toMatch(/staging_create/);
    for (const name of ['stop_kasm', 'get_zones', 'get_attributes', 'add_user_permission']) {
      expect(doc.paths[`/api/public/${name}`]?.post, name).toBeDefined();
    }
  });
});
