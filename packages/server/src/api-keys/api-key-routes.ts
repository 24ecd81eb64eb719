import { apiKeyCreateSchema, apiKeyUpdateSchema, idParamsSchema } from '@porthole/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import { ForbiddenError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import { requireAdmin } from '../http/caller.js';
import { parse } from '../http/parse.js';
import type { ApiKeyService } from './api-key-service.js';

/**
 * Keys are managed by signed-in administrators only: a key (even with global_admin) cannot mint
 * or widen keys, so revoking a leaked key is final.
 */
function requireSignedInAdmin(request: FastifyRequest): Caller {
  const caller = requireAdmin(request);
  if (caller.apiKey) throw new ForbiddenError('API keys cannot manage API keys; sign in as an administrator');
  return caller;
}

/** Inside /api/admin (the Developers tab): the admin guard already ran. */
export function apiKeyAdminRoutes(admin: FastifyInstance, keys: ApiKeyService): void {
  admin.get('/api-keys', async (request) => {
    requireSignedInAdmin(request);
    return { items: await keys.list() };
  });
  admin.post('/api-keys', async (request, reply) => {
    const caller = requireSignedInAdmin(request);
    const created = await keys.create(
      caller.userId,
      parse(apiKeyCreateSchema, request.body),
      auditContext(request),
    );
    return reply.status(201).header('cache-control', 'no-store').send(created);
  });
  admin.get('/api-keys/:id', async (request) => {
    requireSignedInAdmin(request);
    return keys.get(parse(idParamsSchema, request.params, 'params').id);
  });
  admin.patch('/api-keys/:id', async (request) => {
    requireSignedInAdmin(request);
    const { id } = parse(idParamsSchema, request.params, 'params');
    return keys.update(id, parse(apiKeyUpdateSchema, request.body), auditContext(request));
  });
  admin.delete('/api-keys/:id', async (request, reply) => {
    requireSignedInAdmin(request);
    await keys.delete(parse(idParamsSchema, request.params, 'params').id, auditContext(request));
    return reply.status(204).send();
  });
}
