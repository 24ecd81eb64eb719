import type { FastifyInstance } from 'fastify';
import type { ImageBuildService } from './image-build-service.js';

/** Inside /api/admin: the admin guard already ran. */
export function imageBuildAdminRoutes(admin: FastifyInstance, builds: ImageBuildService): void {
  admin.get('/image-builds', async () => builds.view());
}
