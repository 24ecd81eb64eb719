import type { FastifyInstance } from 'fastify';
import { requireUser } from '../http/caller.js';
import type { WorkspaceService } from './workspace-service.js';

export function workspaceRoutes(app: FastifyInstance, workspaces: WorkspaceService): void {
  app.get('/api/workspaces', async (request) => ({
    items: await workspaces.listFor(requireUser(request).userId),
  }));
}
