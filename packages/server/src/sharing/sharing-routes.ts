import { idParamsSchema, idSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { auditContext } from '../audit/audit-context.js';
import type { AuditService } from '../audit/audit-service.js';
import { requireUser } from '../http/caller.js';
import { parse } from '../http/parse.js';
import type { SharingService } from './sharing-service.js';

const shareParams = z.object({ shareId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a share id') });
const participantParams = z.object({ id: idSchema, userId: idSchema });

export function sharingRoutes(
  app: FastifyInstance,
  sharing: SharingService,
  audit: Pick<AuditService, 'record'>,
): void {
  // Before the HTTP server closes: it would wait forever for open chat sockets (upgraded
  // connections are not closed by Fastify), and the bus's Redis connections would outlive it.
  app.addHook('preClose', async () => sharing.shutdown());
  app.post('/api/sessions/:id/share', async (request) => {
    const caller = requireUser(request);
    const { id } = parse(idParamsSchema, request.params, 'params');
    const share = await sharing.enable(caller, id, `${request.protocol}://${request.host}`);
    await audit.record(auditContext(request), {
      action: 'session.share_enable',
      resourceType: 'session',
      resourceId: id,
    });
    return share;
  });
  app.delete('/api/sessions/:id/share', async (request, reply) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    await sharing.disable(requireUser(request), id);
    await audit.record(auditContext(request), {
      action: 'session.share_disable',
      resourceType: 'session',
      resourceId: id,
    });
    return reply.status(204).send();
  });
  // The session page's one read: owner, participants and admins (GET /api/sessions/:id stays the
  // owner's, as the developer API and the launcher rely on its 404 for everyone else).
  app.get('/api/sessions/:id/access', async (request) => {
    const caller = requireUser(request);
    return sharing.access(caller, parse(idParamsSchema, request.params, 'params').id);
  });
  app.post('/api/shares/:shareId/join', async (request) => {
    const caller = requireUser(request);
    const joined = await sharing.join(caller, parse(shareParams, request.params, 'params').shareId);
    await audit.record(auditContext(request), {
      action: 'session.join',
      resourceType: 'session',
      resourceId: joined.session.id,
    });
    return joined;
  });
  app.get('/api/sessions/:id/participants', async (request) => {
    const caller = requireUser(request);
    return { items: await sharing.participants(caller, parse(idParamsSchema, request.params, 'params').id) };
  });
  app.delete('/api/sessions/:id/participants/:userId', async (request, reply) => {
    const caller = requireUser(request);
    const { id, userId } = parse(participantParams, request.params, 'params');
    await sharing.removeParticipant(caller, id, userId);
    await audit.record(auditContext(request), {
      action: 'session.kick',
      resourceType: 'session',
      resourceId: id,
      details: { userId },
    });
    return reply.status(204).send();
  });
}
