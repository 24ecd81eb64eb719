import { errorBodySchema } from '@porthole/contracts';
import { z } from 'zod';
import type { KasmEndpoint } from '../kasm-api/kasm-endpoints.js';
import { KASM_PREFIX } from '../kasm-api/kasm-plugin.js';
import { version } from '../version.js';
import { adminRouteDocs } from './admin-route-docs.js';
import { nativeRouteDocs } from './native-route-docs.js';
import { type RouteAuth, type RouteDoc, toOpenApiPath } from './route-doc.js';

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  delete out.$schema;
  return out;
}

const SECURITY: Record<RouteAuth, Json[] | undefined> = {
  none: undefined,
  user: [{ session: [] }],
  admin: [{ session: [] }, { apiKey: [] }],
  'signed-in-admin': [{ session: [] }],
  agent: [{ agent: [] }],
  // `{}`: the alternative, api_key and api_key_secret in the JSON body, which OpenAPI cannot express.
  'developer-api': [{ kasmBasic: [] }, {}],
};

const errorResponse = (description: string, body: Json) => ({
  description,
  content: { 'application/json': { schema: body } },
});

function operation(doc: RouteDoc, errorBody: Json): Json {
  const parameters: Json[] = [];
  for (const [where, obj] of [
    ['path', doc.params],
    ['query', doc.query],
  ] as const) {
    if (!obj) continue;
    for (const [name, field] of Object.entries(obj.shape)) {
      parameters.push({
        name,
        in: where,
        required: where === 'path' || !field.safeParse(undefined).success,
        schema: schema(field, 'input'),
      });
    }
  }
  const status = String(doc.status ?? 200);
  const success: Json = { description: doc.description ?? 'Success' };
  if (doc.response) success.content = { 'application/json': { schema: schema(doc.response, 'output') } };
  const op: Json = {
    summary: doc.summary,
    tags: [doc.tag],
    operationId: `${doc.method.toLowerCase()} ${doc.url}`,
    responses: {
      [status]: success,
      '4XX': errorResponse('Client error', errorBody),
      '5XX': errorResponse('Server error', errorBody),
    },
  };
  if (parameters.length > 0) op.parameters = parameters;
  if (doc.body) {
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: schema(doc.body, 'input') } },
    };
  }
  const security = SECURITY[doc.auth];
  if (security) op.security = security;
  return op;
}

/** The developer-API endpoints as route docs (their errors are `{error_message}`). */
function kasmDocs(endpoints: readonly KasmEndpoint[]): RouteDoc[] {
  return endpoints.map((e) => ({
    method: 'POST',
    url: `${KASM_PREFIX}/${e.name}`,
    summary: `${e.summary}. Needs ${e.permissions.join(' or ')} (or global_admin)${e.write ? '; not for read-only keys' : ''}.`,
    tag: 'developer API (Kasm-compatible)',
    auth: 'developer-api',
    body: e.body,
    description: 'See docs/api/kasm-compat.md for each response.',
  }));
}

/** Every documented route: the native table plus the developer API. */
export function routeDocs(kasm: readonly KasmEndpoint[]): RouteDoc[] {
  return [...nativeRouteDocs, ...adminRouteDocs, ...kasmDocs(kasm)];
}

/** An OpenAPI 3.1 document for every route, its schemas generated from the contracts' zod schemas. */
export function buildOpenApiDocument(kasm: readonly KasmEndpoint[]): Json {
  const nativeError = schema(errorBodySchema, 'output');
  const kasmError = schema(z.object({ error_message: z.string() }), 'output');
  const paths: Record<string, Json> = {};
  for (const doc of routeDocs(kasm)) {
    const path = toOpenApiPath(doc.url);
    const entry = paths[path] ?? {};
    entry[doc.method.toLowerCase()] = operation(doc, doc.auth === 'developer-api' ? kasmError : nativeError);
    paths[path] = entry;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Porthole API',
      version,
      description:
        'The native JSON API of Porthole. Errors are {"error": {"code", "message", "details?"}}, except ' +
        'under /api/public/ (the Kasm-compatible developer API), where they are {"error_message"}.',
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'porthole_session' },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'Authorization: Bearer <api_key>:<api_key_secret> (needs global_admin under /api/admin)',
        },
        agent: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'Authorization: Agent <agentId>:<secret>',
        },
        kasmBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'api_key:api_key_secret; or api_key and api_key_secret fields in the JSON body',
        },
      },
    },
    paths,
  };
}
