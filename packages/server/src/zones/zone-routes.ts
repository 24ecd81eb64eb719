import { idParamsSchema, zoneCreateSchema, zoneUpdateSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import { parse } from '../http/parse.js';
import type { ZoneService } from './zone-service.js';

/** Inside /api/admin: the admin guard already ran. */
export function zoneAdminRoutes(admin: FastifyInstance, zones: ZoneService): void {
  admin.get('/zones', async () => ({ items: await zones.list() }));
  admin.post('/zones', async (request, reply) =>
    reply.status(201).send(await zones.create(parse(zoneCreateSchema, request.body), auditContext(request))),
  );
  admin.get('/zones/:id', async (request) => zones.get(parse(idParamsSchema, request.params, 'params').id));
  admin.patch('/zones/:id', async (request) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    return zones.update(id, parse(zoneUpdateSchema, request.body), auditContext(request));
  });
  admin.delete('/zones/:id', async (request, reply) => {
    await zones.delete(parse(idParamsSchema, request.params, 'params').id, auditContext(request));
    return reply.status(204).send();
  });
}
