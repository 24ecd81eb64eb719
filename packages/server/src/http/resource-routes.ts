import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';

/** Each resource folder's routes, registered on the app (public) or inside /api/admin (admin). */
export function resourceRoutes(_services: Services): {
  routes: Array<(app: FastifyInstance) => void>;
  adminRoutes: Array<(admin: FastifyInstance) => void>;
} {
  return {
    routes: [],
    adminRoutes: [],
  };
}
