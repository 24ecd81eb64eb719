import type { HealthResponse } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import type { SystemStatus } from '../system-info/system-status.js';

export function healthRoutes(app: FastifyInstance, status: SystemStatus): void {
  app.get('/api/health', async (_request, reply) => {
    const body: HealthResponse = await status.health();
    return reply.status(body.status === 'ok' ? 200 : 503).send(body);
  });
}
