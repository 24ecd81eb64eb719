import { idParamsSchema, sessionCreateSchema, sessionStateSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { auditContext } from '../audit/audit-context.js';
import type { AuditService } from '../audit/audit-service.js';
import { requireUser } from '../http/caller.js';
import { parse } from '../http/parse.js';
import type { SessionService } from './session-service.js';

type Recorder = Pick<AuditService, 'record'>;

export function sessionRoutes(app: FastifyInstance, sessions: SessionService, audit: Recorder): void {
  app.post('/api/sessions', async (request, reply) => {
    const caller = requireUser(request);
    const body = parse(sessionCreateSchema, request.body);
    const view = await sessions.launch(caller, body);
    await audit.record(auditContext(request), {
      action: 'session.launch',
      resourceType: 'session',
      resourceId: view.id,
      details: { imageId: body.imageId },
    });
    return reply.status(201).send(view);
  });
  app.get('/api/sessions', async (request) => ({ items: await sessions.list(requireUser(request)) }));
  app.get('/api/sessions/:id', async (request) => {
    const caller = requireUser(request);
    return sessions.get(caller, parse(idParamsSchema, request.params, 'params').id);
  });
  app.get('/api/sessions/:id/events', async (request) => {
    const caller = requireUser(request);
    return { items: await sessions.events(caller, parse(idParamsSchema, request.params, 'params').id) };
  });
  app.post('/api/sessions/:id/keepalive', async (request) => {
    const caller = requireUser(request);
    return sessions.keepalive(caller, parse(idParamsSchema, request.params, 'params').id);
  });
  for (const action of ['pause', 'resume', 'stop'] as const) {
    app.post(`/api/sessions/:id/${action}`, async (request) => {
      const caller = requireUser(request);
      return sessions.act(caller, parse(idParamsSchema, request.params, 'params').id, action);
    });
  }
  app.delete('/api/sessions/:id', async (request, reply) => {
    const caller = requireUser(request);
    const { id } = parse(idParamsSchema, request.params, 'params');
    await sessions.delete(caller, id);
    await audit.record(auditContext(request), {
      action: 'session.delete',
      resourceType: 'session',
      resourceId: id,
    });
    return reply.status(204).send();
  });
}

const adminFilter = z
  .object({
    userId: z.string().uuid().optional(),
    agentId: z.string().uuid().optional(),
    state: sessionStateSchema.optional(),
    includeEnded: z.enum(['true', 'false']).optional(),
  })
  .strict();

export function sessionAdminRoutes(admin: FastifyInstance, sessions: SessionService, audit: Recorder): void {
  admin.get('/sessions', async (request) => {
    const q = parse(adminFilter, request.query, 'query');
    const filter = {
      ...(q.userId ? { userId: q.userId } : {}),
      ...(q.agentId ? { agentId: q.agentId } : {}),
      ...(q.state ? { state: q.state } : {}),
      includeEnded: q.includeEnded === 'true',
    };
    return { items: await sessions.adminList(filter) };
  });
  admin.get('/sessions/:id', async (request) =>
    sessions.view(parse(idParamsSchema, request.params, 'params').id),
  );
  admin.delete('/sessions/:id', async (request, reply) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    await sessions.delete('system', id, 'deleted by an administrator');
    await audit.record(auditContext(request), {
      action: 'session.delete',
      resourceType: 'session',
      resourceId: id,
      details: { byAdministrator: true },
    });
    return reply.status(204).send();
  });
}
