import {
  agentCheckinRequestSchema,
  agentCheckinResponseSchema,
  agentRegisterRequestSchema,
  agentRegisterResponseSchema,
  healthResponseSchema,
  idParamsSchema,
  listOf,
  loginRequestSchema,
  loginResponseSchema,
  sessionCreateSchema,
  sessionEventSchema,
  sessionViewSchema,
  userViewSchema,
  workspaceViewSchema,
} from '@porthole/contracts';
import { z } from 'zod';
import { oneTimeLoginQuerySchema } from '../kasm-api/one-time-login-routes.js';
import type { RouteDoc } from './route-doc.js';

const pathParams = z.object({ path: z.string() });

/**
 * The static server registers one route per file of the web build (their names change with each
 * build), so they are documented as this one pattern.
 */
export const WEB_FILE_URL = '/:file';

/** Routes outside /api/admin: health, sign-in, sessions, workspaces, agents, the stream path. */
export const nativeRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    url: '/api/health',
    summary: 'Liveness and readiness (503 when the database is unreachable)',
    tag: 'system',
    auth: 'none',
    response: healthResponseSchema,
  },
  {
    method: 'GET',
    url: '/api/openapi.json',
    summary: 'This document',
    tag: 'system',
    auth: 'none',
    description: 'An OpenAPI 3.1 document describing every route.',
  },
  {
    method: 'POST',
    url: '/api/auth/login',
    summary: 'Sign in; sets the porthole_session cookie',
    tag: 'auth',
    auth: 'none',
    body: loginRequestSchema,
    response: loginResponseSchema,
  },
  {
    method: 'POST',
    url: '/api/auth/logout',
    summary: 'Sign out this browser',
    tag: 'auth',
    auth: 'none',
    status: 204,
  },
  {
    method: 'GET',
    url: '/api/auth/me',
    summary: 'The signed-in user',
    tag: 'auth',
    auth: 'user',
    response: z.object({ user: userViewSchema }),
  },
  {
    method: 'GET',
    url: '/api/auth/one-time',
    summary: 'Redeem a one-time sign-in link (a developer-API kasm_url)',
    tag: 'auth',
    auth: 'none',
    query: oneTimeLoginQuerySchema,
    status: 302,
    description:
      'Sets the porthole_session cookie and redirects to /sessions/<id>; 401 when used or expired.',
  },
  {
    method: 'POST',
    url: '/api/agent/register',
    summary: 'An agent registers with the registration token',
    tag: 'agent protocol',
    auth: 'none',
    body: agentRegisterRequestSchema,
    response: agentRegisterResponseSchema,
    status: 201,
  },
  {
    method: 'POST',
    url: '/api/agent/checkin',
    summary: 'An agent reports resources, sessions and images',
    tag: 'agent protocol',
    auth: 'agent',
    body: agentCheckinRequestSchema,
    response: agentCheckinResponseSchema,
  },
  {
    method: 'POST',
    url: '/api/sessions',
    summary: 'Launch a workspace',
    tag: 'sessions',
    auth: 'user',
    body: sessionCreateSchema,
    response: sessionViewSchema,
    status: 201,
  },
  {
    method: 'GET',
    url: '/api/sessions',
    summary: "The caller's sessions",
    tag: 'sessions',
    auth: 'user',
    response: listOf(sessionViewSchema),
  },
  {
    method: 'GET',
    url: '/api/sessions/:id',
    summary: 'One of the caller’s sessions',
    tag: 'sessions',
    auth: 'user',
    params: idParamsSchema,
    response: sessionViewSchema,
  },
  {
    method: 'GET',
    url: '/api/sessions/:id/events',
    summary: "A session's state history",
    tag: 'sessions',
    auth: 'user',
    params: idParamsSchema,
    response: listOf(sessionEventSchema),
  },
  ...(['keepalive', 'pause', 'resume', 'stop'] as const).map(
    (action): RouteDoc => ({
      method: 'POST',
      url: `/api/sessions/:id/${action}`,
      summary:
        action === 'keepalive'
          ? 'Reset the keepalive timer'
          : `${action[0]?.toUpperCase()}${action.slice(1)} the session`,
      tag: 'sessions',
      auth: 'user',
      params: idParamsSchema,
      response: sessionViewSchema,
    }),
  ),
  {
    method: 'DELETE',
    url: '/api/sessions/:id',
    summary: 'Delete a session',
    tag: 'sessions',
    auth: 'user',
    params: idParamsSchema,
    status: 204,
  },
  {
    method: 'GET',
    url: '/api/workspaces',
    summary: 'Workspaces the caller may launch',
    tag: 'sessions',
    auth: 'user',
    response: listOf(workspaceViewSchema),
  },
  {
    method: 'GET',
    url: '/api/internal/session-auth',
    summary: 'nginx auth_request target: may this browser see the session in X-Original-URI?',
    tag: 'stream',
    auth: 'user',
    response: z.object({ sessionId: z.string(), role: z.enum(['owner', 'collaborator', 'viewer']) }),
    description: 'Answers with x-porthole-upstream, x-porthole-grant and x-porthole-role headers.',
  },
  {
    method: 'GET',
    url: '/session/*',
    summary: "A session's stream (HTTP and WebSocket), proxied to its agent",
    tag: 'stream',
    auth: 'user',
    params: pathParams,
    description: 'The workspace’s own web client and /websockify; not JSON.',
  },
  {
    method: 'GET',
    url: '/',
    summary: 'The web app (index.html, also answered for client-side routes such as /sessions/<id>)',
    tag: 'web',
    auth: 'none',
    description: 'HTML.',
  },
  {
    method: 'GET',
    url: WEB_FILE_URL,
    summary: 'A file of the built web app (one route per file: hashed scripts, styles, icons)',
    tag: 'web',
    auth: 'none',
    params: z.object({ file: z.string() }),
    description: 'Scripts, styles and images; hashed assets are cached for a year.',
  },
];
