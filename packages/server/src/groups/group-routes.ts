import {
  groupCreateSchema,
  groupSettingsCatalogueView,
  groupUpdateSchema,
  idParamsSchema,
} from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import { parse } from '../http/parse.js';
import type { GroupService } from './group-service.js';

/** Inside /api/admin: the admin guard already ran. */
export function groupAdminRoutes(admin: FastifyInstance, groups: GroupService): void {
  admin.get('/group-settings', async () => ({ items: groupSettingsCatalogueView }));
  admin.get('/groups', async () => ({ items: await groups.list() }));
  admin.post('/groups', async (request, reply) =>
    reply
      .status(201)
      .send(await groups.create(parse(groupCreateSchema, request.body), auditContext(request))),
  );
  admin.get('/groups/:id', async (request) => groups.get(parse(idParamsSchema, request.params, 'params').id));
  admin.patch('/groups/:id', async (request) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    return groups.update(id, parse(groupUpdateSchema, request.body), auditContext(request));
  });
  admin.delete('/groups/:id', async (request, reply) => {
    await groups.delete(parse(idParamsSchema, request.params, 'params').id, auditContext(request));
    return reply.status(204).send();
  });
}
