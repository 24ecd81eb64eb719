import type { FastifyInstance } from 'fastify';
import { agentAdminRoutes, agentProtocolRoutes } from '../agents/agent-routes.js';
import type { Services } from '../services.js';
import { sessionAdminRoutes, sessionRoutes } from '../sessions/session-routes.js';
import { stagingAdminRoutes } from '../staging/staging-routes.js';

/** Each resource folder's routes, registered on the app (public) or inside /api/admin (admin). */
export function resourceRoutes(services: Services): {
  routes: Array<(app: FastifyInstance) => void>;
  adminRoutes: Array<(admin: FastifyInstance) => void>;
} {
  return {
    routes: [
      (app) => agentProtocolRoutes(app, services.agents),
      (app) => sessionRoutes(app, services.sessions),
    ],
    adminRoutes: [
      (admin) => agentAdminRoutes(admin, services.agents),
      (admin) => sessionAdminRoutes(admin, services.sessions),
      (admin) => stagingAdminRoutes(admin, services.staging),
    ],
  };
}
