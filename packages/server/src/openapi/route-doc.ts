import type { z } from 'zod';

/** Who may call a route; each maps to an OpenAPI security requirement. */
export type RouteAuth = 'none' | 'user' | 'admin' | 'signed-in-admin' | 'agent' | 'developer-api';

/** One row of the hand-assembled route table the OpenAPI document is built from. */
export interface RouteDoc {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** As Fastify spells it: `/api/sessions/:id`, `/session/*`. */
  url: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The success body; unset with `status: 204` for no body. */
  response?: z.ZodType;
  /** Success status; default 200. */
  status?: number;
  /** Not JSON (a redirect, a proxied stream, the web app): described in words. */
  description?: string;
}

/** `/api/sessions/:id` → `/api/sessions/{id}`; a trailing `*` becomes `{path}`. */
export function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
}
