import { idParamsSchema, userCreateSchema, userUpdateSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import { requireAdmin } from '../http/caller.js';
import { parse } from '../http/parse.js';
import type { UserAdminService } from './user-admin-service.js';

/** Inside /api/admin: the guard already ran; requireAdmin here gives the acting admin. */
export function userAdminRoutes(admin: FastifyInstance, users: UserAdminService): void {
  admin.get('/users', async () => ({ items: await users.list() }));
  admin.post('/users', async (request, reply) => {
    const id = await users.create(parse(userCreateSchema, request.body), auditContext(request));
    return reply.status(201).send(await users.get(id));
  });
  admin.get('/users/:id', async (request) => users.get(parse(idParamsSchema, request.params, 'params').id));
  admin.patch('/users/:id', async (request) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    return users.update(
      requireAdmin(request),
      id,
      parse(userUpdateSchema, request.body),
      auditContext(request),
    );
  });
  admin.delete('/users/:id', async (request, reply) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    await users.delete(requireAdmin(request), id, auditContext(request));
    return reply.status(204).send();
  });
}
