import {
  agentCheckinRequestSchema,
  agentRegisterRequestSchema,
  agentUpdateSchema,
  apiKeyCreateSchema,
  apiKeyUpdateSchema,
  groupCreateSchema,
  groupUpdateSchema,
  imageCreateSchema,
  imageUpdateSchema,
  loginRequestSchema,
  sessionCreateSchema,
  stagingCreateSchema,
  stagingUpdateSchema,
  userCreateSchema,
  userUpdateSchema,
  zoneCreateSchema,
  zoneUpdateSchema,
} from '@porthole/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { kasmEndpoints } from '../../../packages/server/src/kasm-api/kasm-endpoints.js';
import { recordFigure } from '../../reliability/support/figures.js';
import { basic, changedTables, Fingerprinter, type HostileStack, startHostileStack } from './support.js';

/**
 * Hostile bodies, property-based (fast-check), against every route that takes a JSON body: the
 * native API (each body's zod schema from @porthole/contracts), the agent protocol and every
 * developer-API endpoint. Bodies are random JSON, a valid body with one field replaced by a
 * hostile value (wrong type, unicode incl. NUL and lone surrogates, huge or tiny numbers, long
 * strings, nested junk), a field dropped or an unknown one added, the body cut short, deep
 * nesting, __proto__ keys, more than the 1 MiB body limit, or the wrong content type.
 *
 * The property, for every body:
 *   - never a 5xx;
 *   - when the contract schema rejects it (or it is not JSON, or not sent as JSON): a 4xx with an
 *     error message (an empty or `null` body counts as `{}`, as the server's parse does);
 *   - after every 4xx the database is exactly as before (a fingerprint of every table's rows).
 * A body the schema accepts may succeed (then the fingerprint is taken again).
 *
 * Runs per route: PORTHOLE_HOSTILE_RUNS (default 20, ~40 s in all); fast-check prints the seed of a failure.
 */
const RUNS = Number(process.env.PORTHOLE_HOSTILE_RUNS ?? 20);

type Sample = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; contentType?: string };

interface BodyRoute {
  name: string;
  method: 'POST' | 'PATCH';
  path: (s: HostileStack) => string;
  /** Who calls: a cookie, an Authorization header, or nobody. */
  auth: (s: HostileStack) => { cookie?: string; authorization?: string };
  schema: z.ZodType;
  seed: (s: HostileStack) => Record<string, unknown>;
  /** Developer API: errors are {"error_message"}. */
  kasm?: boolean;
  /** Bodies always tried besides the random ones. */
  examples?: (s: HostileStack) => unknown[];
}

const ID = '11111111-2222-4333-8444-555555555555';
const hex = (uuid: string) => uuid.replace(/-/g, '');

const cookieOf = (api: { cookieHeader: string | undefined }) => ({ cookie: api.cookieHeader ?? '' });
const nativeRoutes: BodyRoute[] = [
  {
    name: 'POST /api/auth/login',
    method: 'POST',
    path: () => '/api/auth/login',
    auth: () => ({}),
    schema: loginRequestSchema,
    seed: (s) => ({ username: s.spareUser.username, password: 'not-the-password' }),
  },
  {
    name: 'POST /api/sessions',
    method: 'POST',
    path: () => '/api/sessions',
    auth: (s) => cookieOf(s.stranger.api),
    schema: sessionCreateSchema,
    seed: (s) => ({ imageId: s.workspace.id, url: 'https://example.com/' }),
  },
  {
    name: 'POST /api/admin/users',
    method: 'POST',
    path: () => '/api/admin/users',
    auth: (s) => cookieOf(s.admin),
    schema: userCreateSchema,
    seed: (s) => ({
      username: `fuzz-${Math.random().toString(36).slice(2)}@x.test`,
      password: 'fuzz-password-1',
      displayName: 'Fuzz',
      groupIds: [s.allUsers.id],
      locked: false,
    }),
  },
  {
    name: 'PATCH /api/admin/users/:id',
    method: 'PATCH',
    path: (s) => `/api/admin/users/${s.spareUser.id}`,
    auth: (s) => cookieOf(s.admin),
    schema: userUpdateSchema,
    seed: (s) => ({ displayName: 'Spare', groupIds: [s.allUsers.id], locked: false, disabled: false }),
  },
  {
    name: 'POST /api/admin/groups',
    method: 'POST',
    path: () => '/api/admin/groups',
    auth: (s) => cookieOf(s.admin),
    schema: groupCreateSchema,
    seed: (s) => ({
      name: `fuzz-${Math.random().toString(36).slice(2)}`,
      description: 'd',
      priority: 50,
      settings: { max_sessions_per_user: 1, allow_sharing: false, keepalive_expiration_action: 'stop' },
      memberIds: [s.spareUser.id],
      imageIds: [s.spareWorkspace.id],
    }),
  },
  {
    name: 'PATCH /api/admin/groups/:id',
    method: 'PATCH',
    path: (s) => `/api/admin/groups/${s.spareGroup.id}`,
    auth: (s) => cookieOf(s.admin),
    schema: groupUpdateSchema,
    seed: (s) => ({
      description: 'spare',
      priority: 60,
      settings: { idle_disconnect: 5 },
      memberIds: [s.spareUser.id],
      imageIds: [],
    }),
  },
  {
    name: 'POST /api/admin/zones',
    method: 'POST',
    path: () => '/api/admin/zones',
    auth: (s) => cookieOf(s.admin),
    schema: zoneCreateSchema,
    seed: () => ({ name: `zone-${Math.random().toString(36).slice(2)}`, searchAlternateZones: true }),
  },
  {
    name: 'PATCH /api/admin/zones/:id',
    method: 'PATCH',
    path: (s) => `/api/admin/zones/${s.spareZone.id}`,
    auth: (s) => cookieOf(s.admin),
    schema: zoneUpdateSchema,
    seed: () => ({ searchAlternateZones: false }),
  },
  {
    name: 'POST /api/admin/images',
    method: 'POST',
    path: () => '/api/admin/images',
    auth: (s) => cookieOf(s.admin),
    schema: imageCreateSchema,
    seed: (s) => ({
      name: `img-${Math.random().toString(36).slice(2)}`,
      friendlyName: 'Fuzz image',
      description: 'x',
      dockerImage: 'porthole/fuzz:latest',
      cores: 0.5,
      memoryMb: 512,
      shmMb: 64,
      network: null,
      zoneId: s.spareZone.id,
      enabled: false,
      categories: ['a'],
      runConfig: { environment: { A: 'b' }, pidsLimit: 128, volumes: [{ source: 'vol', target: '/data' }] },
      execConfig: { firstLaunch: { cmd: 'true' } },
      groupIds: [s.spareGroup.id],
    }),
  },
  {
    name: 'PATCH /api/admin/images/:id',
    method: 'PATCH',
    path: (s) => `/api/admin/images/${s.spareWorkspace.id}`,
    auth: (s) => cookieOf(s.admin),
    schema: imageUpdateSchema,
    seed: () => ({ friendlyName: 'Spare', cores: 0.2, memoryMb: 128, categories: ['b'], enabled: false }),
  },
  {
    name: 'PATCH /api/admin/agents/:id',
    method: 'PATCH',
    path: (s) => `/api/admin/agents/${s.spareAgent.agentId}`,
    auth: (s) => cookieOf(s.admin),
    schema: agentUpdateSchema,
    seed: (s) => ({ zoneId: s.defaultZone.id, enabled: false, coresOverride: 4, memoryMbOverride: 4096 }),
  },
  {
    name: 'POST /api/admin/staging',
    method: 'POST',
    path: () => '/api/admin/staging',
    auth: (s) => cookieOf(s.admin),
    schema: stagingCreateSchema,
    seed: (s) => ({ zoneId: s.spareZone.id, imageId: s.spareWorkspace.id, desiredCount: 0 }),
  },
  {
    name: 'PATCH /api/admin/staging/:id',
    method: 'PATCH',
    path: (s) => `/api/admin/staging/${s.stagingId}`,
    auth: (s) => cookieOf(s.admin),
    schema: stagingUpdateSchema,
    seed: () => ({ desiredCount: 0, expirationSeconds: 600 }),
  },
  {
    name: 'POST /api/admin/api-keys',
    method: 'POST',
    path: () => '/api/admin/api-keys',
    auth: (s) => cookieOf(s.admin),
    schema: apiKeyCreateSchema,
    seed: () => ({
      name: 'fuzz',
      permissions: ['images_view'],
      readOnly: true,
      expiresAt: '2999-01-01T00:00:00Z',
    }),
  },
  {
    name: 'PATCH /api/admin/api-keys/:id',
    method: 'PATCH',
    path: (s) => `/api/admin/api-keys/${s.spareKey.id}`,
    auth: (s) => cookieOf(s.admin),
    schema: apiKeyUpdateSchema,
    seed: () => ({ name: 'spare', permissions: [], readOnly: false, expiresAt: null }),
  },
  {
    name: 'POST /api/agent/register',
    method: 'POST',
    path: () => '/api/agent/register',
    auth: () => ({}),
    schema: agentRegisterRequestSchema,
    seed: (s) => ({
      token: s.registrationToken,
      name: `fuzz-agent-${Math.random().toString(36).slice(2)}`,
      url: 'http://127.0.0.1:9/',
      version: '1',
      hostname: 'h',
    }),
  },
  {
    name: 'POST /api/agent/checkin',
    method: 'POST',
    path: () => '/api/agent/checkin',
    auth: (s) => ({ authorization: s.spareAgent.authorization }),
    schema: agentCheckinRequestSchema,
    seed: (s) => ({
      ...s.spareAgent.report(),
      sessions: [{ sessionId: ID, containerId: 'c1', state: 'running', hostPort: 1, exitCode: null }],
    }),
    // A container whose session label is not a UUID (made by hand, or by another tool).
    examples: (s) => [
      {
        ...s.spareAgent.report(),
        sessions: [{ sessionId: 'not-a-uuid', containerId: 'c2', state: 'running', hostPort: 1 }],
      },
    ],
  },
];

/** Every developer-API endpoint, its body schema from the server's own table. */
function kasmRoutes(): BodyRoute[] {
  const none = {} as never;
  return kasmEndpoints(none, none, none, none).map((e) => ({
    name: `POST /api/public/${e.name}`,
    method: 'POST' as const,
    path: () => `/api/public/${e.name}`,
    auth: (s: HostileStack) => {
      const key = s.keys.get('global_admin');
      if (!key) throw new Error('no global_admin key');
      return { authorization: basic(key) };
    },
    schema: e.body,
    seed: (s: HostileStack) => ({
      user_id: hex(s.spareUser.id),
      kasm_id: hex(ID),
      image_id: hex(s.spareWorkspace.id),
      share_id: 'nope',
      exec_config: { cmd: 'true' },
      target_user: { user_id: hex(s.spareUser.id) },
      target_group: { group_id: hex(s.spareGroup.id) },
      // Nothing here may start sessions or grant rights: no zone, zero sessions, a no-op permission.
      target_staging_config: {
        staging_config_id: hex(ID),
        zone_id: hex(ID),
        image_id: hex(ID),
        num_sessions: 0,
      },
      target_user_attributes: { user_id: hex(s.spareUser.id) },
      target_permission: { permission_name: 'user' },
    }),
    kasm: true,
  }));
}

const weirdStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  '💥'.repeat(50),
  'e\u0301\u0301\u0301',
  '\u202egnp.exe',
  '\ufeff',
  "' OR 1=1 --",
  '<img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '%00%0d%0a',
  '\r\nX-Injected: 1',
  'x'.repeat(70_000),
  '9'.repeat(400),
];
const hugeNumbers = [1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 2 ** 64, 5e-324, -0, 0.1 + 0.2, -1, 4097, 1.5];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...weirdStrings, ...hugeNumbers, null, true, false, [], {}),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double(),
  fc.integer(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
);

/** Deterministic samples: every string field of the seed with a NUL, a lone surrogate, 70 000 chars. */
function stringFieldExamples(seed: Record<string, unknown>): Sample[] {
  const out: Sample[] = [];
  for (const [k, v] of Object.entries(seed)) {
    if (typeof v !== 'string') continue;
    for (const bad of ['a\u0000b', '\ud800', 'x'.repeat(70_000)])
      out.push({ kind: 'json', value: { ...seed, [k]: bad } });
  }
  return out;
}

function bodies(seed: Record<string, unknown>): fc.Arbitrary<Sample> {
  const keys = Object.keys(seed);
  const text = JSON.stringify(seed);
  const json = (value: unknown): Sample => ({ kind: 'json', value });
  const raw = (t: string, contentType?: string): Sample =>
    contentType ? { kind: 'raw', text: t, contentType } : { kind: 'raw', text: t };
  const firstKey = keys[0] ?? 'x';
  const options: Array<fc.Arbitrary<Sample>> = [
    fc.jsonValue().map(json),
    fc.tuple(fc.string({ maxLength: 12 }), hostileValue).map(([k, v]) => json({ ...seed, [k]: v })),
    fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => raw(text.slice(0, n))),
    fc.constantFrom<Sample>(
      raw(`{"${firstKey}": 1e400}`),
      raw(`{"${firstKey}": 123456789012345678901234567890123456789}`),
      raw(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
      raw(`${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`),
      raw('{"__proto__": {"isAdmin": true, "admin": true}}'),
      raw('{"constructor": {"prototype": {"isAdmin": true}}}'),
      raw(`{"${firstKey}": "${'x'.repeat(1_100_000)}"}`),
      raw(text, 'text/plain'),
      raw(text, 'application/x-www-form-urlencoded'),
      raw(''),
      raw('null'),
      raw('\u0000'),
      raw('\ufeff{}'),
      json(seed),
    ),
  ];
  if (keys.length > 0) {
    options.push(
      fc.tuple(fc.constantFrom(...keys), hostileValue).map(([k, v]) => json({ ...seed, [k]: v })),
      fc.constantFrom(...keys).map((k) => {
        const { [k]: _dropped, ...rest } = seed;
        return json(rest);
      }),
    );
  }
  return fc.oneof(...options);
}

interface Outcome {
  status: number;
  text: string;
}

async function send(s: HostileStack, route: BodyRoute, sample: Sample): Promise<Outcome> {
  const a = route.auth(s);
  const headers: Record<string, string> = { 'x-forwarded-for': '203.0.113.7' };
  if (a.cookie) headers.cookie = a.cookie;
  if (a.authorization) headers.authorization = a.authorization;
  let payload: string;
  if (sample.kind === 'json') {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(sample.value) ?? 'null';
  } else {
    headers['content-type'] = sample.contentType ?? 'application/json';
    payload = sample.text;
  }
  const res = await fetch(`${s.url}${route.path(s)}`, {
    method: route.method,
    headers,
    body: payload,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, text: await res.text() };
}

function errorMessage(route: BodyRoute, text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown }; error_message?: unknown };
    const m = route.kasm ? body.error_message : body.error?.message;
    return typeof m === 'string' && m.trim() !== '' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the route's schema accepts what the server will parse from this sample. */
function schemaAccepts(route: BodyRoute, sample: Sample): boolean {
  let value: unknown;
  if (sample.kind === 'json') value = sample.value;
  else {
    if ((sample.contentType ?? 'application/json') !== 'application/json') return false;
    try {
      // The server's JSON parser skips a byte-order mark, as JSON.parse does not.
      value = JSON.parse(sample.text.replace(/^\ufeff/, ''));
    } catch {
      return false;
    }
  }
  return route.schema.safeParse(value ?? {}).success;
}

let stack: HostileStack;
let prints: Fingerprinter;
const tally = { requests: 0, rejected: 0, accepted: 0 };

beforeAll(async () => {
  stack = await startHostileStack(`bodies${Date.now().toString(36)}`);
  prints = new Fingerprinter(stack.ts.database.url);
}, 120_000);

afterAll(async () => {
  recordFigure('hostile-bodies', { runsPerRoute: RUNS, ...tally });
  await prints?.close();
  await stack?.close();
});

describe('hostile bodies', () => {
  for (const route of [...nativeRoutes, ...kasmRoutes()]) {
    it(`${route.name}: 4xx with a message and nothing written, never 5xx`, async () => {
      let before = await prints.take();
      await fc.assert(
        fc.asyncProperty(
          fc.constant(null).chain(() => bodies(route.seed(stack))),
          async (sample) => {
            const out = await send(stack, route, sample);
            tally.requests += 1;
            const accepted = schemaAccepts(route, sample);
            const what = `${route.name} ${sample.kind === 'json' ? JSON.stringify(sample.value)?.slice(0, 300) : JSON.stringify(sample.text.slice(0, 300))} → ${out.status} ${out.text.slice(0, 300)}`;
            expect(out.status, what).toBeLessThan(500);
            if (!accepted) expect(out.status, what).toBeGreaterThanOrEqual(400);
            if (out.status >= 400) {
              tally.rejected += 1;
              expect(errorMessage(route, out.text), what).toBeDefined();
              const after = await prints.take();
              expect(changedTables(before, after), what).toEqual([]);
            } else {
              tally.accepted += 1;
              before = await prints.take();
            }
          },
        ),
        {
          numRuns: RUNS,
          endOnFailure: true,
          examples: [
            ...stringFieldExamples(route.seed(stack)),
            ...(route.examples?.(stack) ?? []).map((value): Sample => ({ kind: 'json', value })),
          ].map((sample): [Sample] => [sample]),
        },
      );
    }, 120_000);
  }
});
