import {
  adminUserViewSchema,
  agentUpdateSchema,
  agentViewSchema,
  apiKeyCreatedSchema,
  apiKeyCreateSchema,
  apiKeyUpdateSchema,
  apiKeyViewSchema,
  auditPageSchema,
  auditQuerySchema,
  auditSettingsSchema,
  auditSettingsUpdateSchema,
  groupCreateSchema,
  groupUpdateSchema,
  groupViewSchema,
  idParamsSchema,
  imageBuildsViewSchema,
  imageCreateSchema,
  imageUpdateSchema,
  imageViewSchema,
  listOf,
  registrationTokenViewSchema,
  sessionStateSchema,
  sessionViewSchema,
  stagingCreateSchema,
  stagingUpdateSchema,
  stagingViewSchema,
  systemInfoSchema,
  userCreateSchema,
  userUpdateSchema,
  zoneCreateSchema,
  zoneUpdateSchema,
  zoneViewSchema,
} from '@porthole/contracts';
import { z } from 'zod';
import type { RouteAuth, RouteDoc } from './route-doc.js';

interface Resource {
  /** Path under /api/admin. */
  path: string;
  noun: string;
  view: z.ZodType;
  create?: z.ZodType;
  update?: z.ZodType;
  auth?: RouteAuth;
  deleteQuery?: z.ZodObject;
}

/** The usual five routes of an admin resource (list, create, get, patch, delete). */
function crud(r: Resource): RouteDoc[] {
  const base = `/api/admin/${r.path}`;
  const auth = r.auth ?? 'admin';
  const tag = `admin: ${r.path}`;
  const docs: RouteDoc[] = [
    { method: 'GET', url: base, summary: `List ${r.noun}s`, tag, auth, response: listOf(r.view) },
  ];
  if (r.create) {
    docs.push({
      method: 'POST',
      url: base,
      summary: `Create a ${r.noun}`,
      tag,
      auth,
      body: r.create,
      response: r.view,
      status: 201,
    });
  }
  docs.push({
    method: 'GET',
    url: `${base}/:id`,
    summary: `One ${r.noun}`,
    tag,
    auth,
    params: idParamsSchema,
    response: r.view,
  });
  if (r.update) {
    docs.push({
      method: 'PATCH',
      url: `${base}/:id`,
      summary: `Change a ${r.noun}`,
      tag,
      auth,
      params: idParamsSchema,
      body: r.update,
      response: r.view,
    });
  }
  docs.push({
    method: 'DELETE',
    url: `${base}/:id`,
    summary: `Delete a ${r.noun}`,
    tag,
    auth,
    params: idParamsSchema,
    ...(r.deleteQuery ? { query: r.deleteQuery } : {}),
    status: 204,
  });
  return docs;
}

const settingSpec = z.object({
  name: z.string(),
  type: z.enum(['boolean', 'integer', 'enum']),
  default: z.union([z.boolean(), z.number(), z.string()]),
  description: z.string(),
  min: z.number().optional(),
  max: z.number().optional(),
  unit: z.string().optional(),
  values: z.array(z.string()).optional(),
});

const sessionFilter = z.object({
  userId: z.string().uuid().optional(),
  agentId: z.string().uuid().optional(),
  state: sessionStateSchema.optional(),
  includeEnded: z.enum(['true', 'false']).optional(),
});

/** Everything under /api/admin: administrators, or API keys with global_admin (reads only when read-only). */
export const adminRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    url: '/api/admin/system-info',
    summary: 'Installation id, version, uptime, database and bus',
    tag: 'admin: system',
    auth: 'admin',
    response: systemInfoSchema,
  },
  ...crud({
    path: 'agents',
    noun: 'agent',
    view: agentViewSchema,
    update: agentUpdateSchema,
    deleteQuery: z.object({ force: z.enum(['true', 'false']).optional() }),
  }),
  {
    method: 'GET',
    url: '/api/admin/agents/registration-token',
    summary: 'The token new agents register with',
    tag: 'admin: agents',
    auth: 'admin',
    response: registrationTokenViewSchema,
  },
  {
    method: 'POST',
    url: '/api/admin/agents/registration-token/rotate',
    summary: 'Replace the registration token',
    tag: 'admin: agents',
    auth: 'admin',
    response: registrationTokenViewSchema,
  },
  {
    method: 'GET',
    url: '/api/admin/sessions',
    summary: 'Every session, filtered',
    tag: 'admin: sessions',
    auth: 'admin',
    query: sessionFilter,
    response: listOf(sessionViewSchema),
  },
  {
    method: 'GET',
    url: '/api/admin/sessions/:id',
    summary: 'One session',
    tag: 'admin: sessions',
    auth: 'admin',
    params: idParamsSchema,
    response: sessionViewSchema,
  },
  {
    method: 'DELETE',
    url: '/api/admin/sessions/:id',
    summary: 'Destroy a session',
    tag: 'admin: sessions',
    auth: 'admin',
    params: idParamsSchema,
    status: 204,
  },
  ...crud({
    path: 'staging',
    noun: 'staging pool',
    view: stagingViewSchema,
    create: stagingCreateSchema,
    update: stagingUpdateSchema,
  }),
  ...crud({
    path: 'users',
    noun: 'user',
    view: adminUserViewSchema,
    create: userCreateSchema,
    update: userUpdateSchema,
  }),
  {
    method: 'GET',
    url: '/api/admin/image-builds',
    summary: 'Progress of the default images built in the background at start-up (porthole up)',
    tag: 'admin: images',
    auth: 'admin',
    response: imageBuildsViewSchema,
  },
  {
    method: 'GET',
    url: '/api/admin/group-settings',
    summary: 'The catalogue of group settings (type, default, meaning)',
    tag: 'admin: groups',
    auth: 'admin',
    response: listOf(settingSpec),
  },
  ...crud({
    path: 'groups',
    noun: 'group',
    view: groupViewSchema,
    create: groupCreateSchema,
    update: groupUpdateSchema,
  }),
  ...crud({
    path: 'zones',
    noun: 'zone',
    view: zoneViewSchema,
    create: zoneCreateSchema,
    update: zoneUpdateSchema,
  }),
  ...crud({
    path: 'images',
    noun: 'workspace image',
    view: imageViewSchema,
    create: imageCreateSchema,
    update: imageUpdateSchema,
  }),
  {
    method: 'GET',
    url: '/api/admin/audit',
    summary: 'The audit log, newest first, filtered and paged (nextCursor)',
    tag: 'admin: audit',
    auth: 'admin',
    query: auditQuerySchema,
    response: auditPageSchema,
  },
  {
    method: 'GET',
    url: '/api/admin/audit.csv',
    summary: 'The audit log as CSV, with the same filters (streamed)',
    tag: 'admin: audit',
    auth: 'admin',
    query: auditQuerySchema,
  },
  {
    method: 'GET',
    url: '/api/admin/audit/settings',
    summary: 'How many days audit entries are kept',
    tag: 'admin: audit',
    auth: 'admin',
    response: auditSettingsSchema,
  },
  {
    method: 'PATCH',
    url: '/api/admin/audit/settings',
    summary: 'Change the audit retention (recorded as system_settings.update)',
    tag: 'admin: audit',
    auth: 'admin',
    body: auditSettingsUpdateSchema,
    response: auditSettingsSchema,
  },
  ...crud({
    path: 'api-keys',
    noun: 'API key',
    view: apiKeyViewSchema,
    create: apiKeyCreateSchema,
    update: apiKeyUpdateSchema,
    auth: 'signed-in-admin',
  }).map((d) =>
    d.method === 'POST'
      ? { ...d, response: apiKeyCreatedSchema, summary: 'Create an API key (the secret is shown only here)' }
      : d,
  ),
];
