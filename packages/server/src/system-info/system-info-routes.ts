import type { FastifyInstance } from 'fastify';
import type { SystemStatus } from './system-status.js';

/** Registered inside the admin scope: the admin guard has already run. */
export function systemInfoRoutes(admin: FastifyInstance, status: SystemStatus): void {
  admin.get('/system-info', async () => status.info());
}
