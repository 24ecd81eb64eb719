import { idParamsSchema, imageCreateSchema, imageUpdateSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import { parse } from '../http/parse.js';
import type { ImageService } from './image-service.js';

/** Inside /api/admin: the admin guard already ran. */
export function imageAdminRoutes(admin: FastifyInstance, images: ImageService): void {
  admin.get('/images', async () => ({ items: await images.list() }));
  admin.post('/images', async (request, reply) =>
    reply
      .status(201)
      .send(await images.create(parse(imageCreateSchema, request.body), auditContext(request))),
  );
  admin.get('/images/:id', async (request) => images.get(parse(idParamsSchema, request.params, 'params').id));
  admin.patch('/images/:id', async (request) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    return images.update(id, parse(imageUpdateSchema, request.body), auditContext(request));
  });
  admin.delete('/images/:id', async (request, reply) => {
    await images.delete(parse(idParamsSchema, request.params, 'params').id, auditContext(request));
    return reply.status(204).send();
  });
}
