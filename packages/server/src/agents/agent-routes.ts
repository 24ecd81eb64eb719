import {
  agentCheckinRequestSchema,
  agentRegisterRequestSchema,
  agentUpdateSchema,
  idParamsSchema,
} from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { auditContext } from '../audit/audit-context.js';
import { parse } from '../http/parse.js';
import type { AgentService } from './agent-service.js';

/** The agent protocol: agents authenticate themselves (registration token, then id + secret). */
export function agentProtocolRoutes(app: FastifyInstance, agents: AgentService): void {
  app.post('/api/agent/register', async (request, reply) => {
    const body = parse(agentRegisterRequestSchema, request.body);
    return reply.status(201).send(await agents.register(body));
  });
  app.post('/api/agent/checkin', { bodyLimit: 8 * 1024 * 1024 }, async (request) => {
    const agent = await agents.authenticate(request.headers.authorization);
    return agents.checkin(agent, parse(agentCheckinRequestSchema, request.body));
  });
}

const deleteQuery = z.object({ force: z.enum(['true', 'false']).optional() });

export function agentAdminRoutes(admin: FastifyInstance, agents: AgentService): void {
  admin.get('/agents', async () => ({ items: await agents.list() }));
  admin.get('/agents/registration-token', async () => agents.registrationToken());
  admin.post('/agents/registration-token/rotate', async (request) =>
    agents.rotateRegistrationToken(auditContext(request)),
  );
  admin.get('/agents/:id', async (request) => agents.get(parse(idParamsSchema, request.params, 'params').id));
  admin.patch('/agents/:id', async (request) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    return agents.update(id, parse(agentUpdateSchema, request.body), auditContext(request));
  });
  admin.delete('/agents/:id', async (request, reply) => {
    const { id } = parse(idParamsSchema, request.params, 'params');
    const { force } = parse(deleteQuery, request.query, 'query');
    await agents.delete(id, force === 'true', auditContext(request));
    return reply.status(204).send();
  });
}
