import { idParamsSchema, stagingCreateSchema, stagingUpdateSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import { parse } from '../http/parse.js';
import type { StagingService } from './staging-service.js';

export function stagingAdminRoutes(admin: FastifyInstance, staging: StagingService): void {
  admin.get('/staging', async () => ({ items: await staging.list() }));
  admin.post('/staging', async (request, reply) =>
    reply
      .status(201)
      .send(await staging.create(parse(stagingCreateSchema, request.body), auditContext(request))),
  );
  admin.get('/staging/:id', async (request) =>
    staging.get(parse(idParamsSchema, request.params, 'params').id),
  );
  admin.patch('/staging/:id', async (request) =>
    staging.update(
      parse(idParamsSchema, request.params, 'params').id,
      parse(stagingUpdateSchema, request.body),
      auditContext(request),
    ),
  );
  admin.delete('/staging/:id', async (request, reply) => {
    await staging.delete(parse(idParamsSchema, request.params, 'params').id, auditContext(request));
    return reply.status(204).send();
  });
}
