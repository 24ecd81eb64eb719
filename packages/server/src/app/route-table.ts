import type { FastifyInstance } from 'fastify';
import { agentAdminRoutes, agentProtocolRoutes } from '../agents/agent-routes.js';
import { apiKeyAdminRoutes } from '../api-keys/api-key-routes.js';
import { groupAdminRoutes } from '../groups/group-routes.js';
import { imageBuildAdminRoutes } from '../image-builds/image-build-routes.js';
import { imageAdminRoutes } from '../images/image-routes.js';
import { registerKasmApi } from '../kasm-api/kasm-plugin.js';
import { oneTimeLoginRoutes } from '../kasm-api/one-time-login-routes.js';
import { openApiRoutes } from '../openapi/openapi-routes.js';
import { sessionAdminRoutes, sessionRoutes } from '../sessions/session-routes.js';
import { sharingRoutes } from '../sharing/sharing-routes.js';
import { stagingAdminRoutes } from '../staging/staging-routes.js';
import { sessionAuthRoutes } from '../streams/stream-auth-routes.js';
import { userAdminRoutes } from '../users/user-routes.js';
import { workspaceRoutes } from '../workspaces/workspace-routes.js';
import { zoneAdminRoutes } from '../zones/zone-routes.js';
import type { Services } from './services.js';

/** Each resource folder's routes, registered on the app (public) or inside /api/admin (admin). */
export function resourceRoutes(services: Services): {
  routes: Array<(app: FastifyInstance) => void>;
  adminRoutes: Array<(admin: FastifyInstance) => void>;
} {
  return {
    routes: [
      (app) => agentProtocolRoutes(app, services.agents),
      (app) => sessionRoutes(app, services.sessions),
      (app) => workspaceRoutes(app, services.workspaces),
      (app) => sessionAuthRoutes(app, services.streams),
      (app) => sharingRoutes(app, services.sharing),
      (app) => services.proxy.register(app),
      (app) => oneTimeLoginRoutes(app, services.oneTimeLogins),
      (app) => openApiRoutes(app, services.kasm.endpoints),
      (app) => registerKasmApi(app, services.kasm),
    ],
    adminRoutes: [
      (admin) => agentAdminRoutes(admin, services.agents),
      (admin) => sessionAdminRoutes(admin, services.sessions),
      (admin) => stagingAdminRoutes(admin, services.staging),
      (admin) => userAdminRoutes(admin, services.users),
      (admin) => groupAdminRoutes(admin, services.groups),
      (admin) => zoneAdminRoutes(admin, services.zones),
      (admin) => imageAdminRoutes(admin, services.images),
      (admin) => imageBuildAdminRoutes(admin, services.imageBuilds),
      (admin) => apiKeyAdminRoutes(admin, services.apiKeys),
    ],
  };
}
