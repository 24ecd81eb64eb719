import type { FastifyInstance } from 'fastify';
import { agentAdminRoutes, agentProtocolRoutes } from '../agents/agent-routes.js';
import { apiKeyAdminRoutes } from '../api-keys/api-key-routes.js';
import { auditAdminRoutes } from '../audit/audit-routes.js';
import { authRoutes } from '../auth/auth-routes.js';
import { groupAdminRoutes } from '../groups/group-routes.js';
import { healthRoutes } from '../health/health-routes.js';
import type { UpgradeHandler } from '../http/upgrade-router.js';
import { imageBuildAdminRoutes } from '../image-builds/image-build-routes.js';
import { imageAdminRoutes } from '../images/image-routes.js';
import { registerKasmApi } from '../kasm-api/kasm-plugin.js';
import { oneTimeLoginRoutes } from '../kasm-api/one-time-login-routes.js';
import { metricsRoutes } from '../metrics/metrics-routes.js';
import { openApiRoutes } from '../openapi/openapi-routes.js';
import { sessionAdminRoutes, sessionRoutes } from '../sessions/session-routes.js';
import { isChatPath } from '../sharing/chat-socket.js';
import { sharingRoutes } from '../sharing/sharing-routes.js';
import { stagingAdminRoutes } from '../staging/staging-routes.js';
import { sessionAuthRoutes } from '../streams/stream-auth-routes.js';
import { systemInfoRoutes } from '../system-info/system-info-routes.js';
import { userAdminRoutes } from '../users/user-routes.js';
import { workspaceRoutes } from '../workspaces/workspace-routes.js';
import { zoneAdminRoutes } from '../zones/zone-routes.js';
import type { Services } from './services.js';

export interface UpgradeRoute {
  matches(path: string): boolean;
  handle: UpgradeHandler;
}

/** Every way into the server, in one list: a new resource adds its line here. */
export interface RouteTable {
  /** HTTP routes outside the admin scope (absolute paths: /api/…, /session/…). */
  routes: Array<(app: FastifyInstance) => void>;
  /** HTTP routes inside /api/admin (paths relative to it), behind the one admin guard. */
  adminRoutes: Array<(admin: FastifyInstance) => void>;
  /**
   * WebSocket upgrades by path; an upgrade no entry claims is answered 404, and the router
   * refuses (403) every upgrade without an allowed Origin before an entry sees it.
   */
  upgrades: UpgradeRoute[];
}

export function routeTable(
  services: Services,
  options: { metricsToken?: string | undefined } = {},
): RouteTable {
  return {
    routes: [
      (app) => healthRoutes(app, services.status),
      (app) => metricsRoutes(app, services.metrics, { token: options.metricsToken, auth: services.auth }),
      (app) => authRoutes(app, services.auth),
      (app) => agentProtocolRoutes(app, services.agents),
      (app) => sessionRoutes(app, services.sessions, services.audit),
      (app) => workspaceRoutes(app, services.workspaces),
      (app) => sessionAuthRoutes(app, services.streams, services.origins),
      (app) => sharingRoutes(app, services.sharing, services.audit),
      (app) => services.proxy.register(app),
      (app) => oneTimeLoginRoutes(app, services.oneTimeLogins),
      (app) => openApiRoutes(app, services.kasm.endpoints),
      (app) => registerKasmApi(app, services.kasm),
    ],
    adminRoutes: [
      (admin) => systemInfoRoutes(admin, services.status),
      (admin) => agentAdminRoutes(admin, services.agents),
      (admin) => sessionAdminRoutes(admin, services.sessions, services.audit),
      (admin) => stagingAdminRoutes(admin, services.staging),
      (admin) => userAdminRoutes(admin, services.users),
      (admin) => groupAdminRoutes(admin, services.groups),
      (admin) => zoneAdminRoutes(admin, services.zones),
      (admin) => imageAdminRoutes(admin, services.images),
      (admin) => imageBuildAdminRoutes(admin, services.imageBuilds),
      (admin) => apiKeyAdminRoutes(admin, services.apiKeys),
      (admin) => auditAdminRoutes(admin, services.audit),
    ],
    upgrades: [
      { matches: (path) => path.startsWith('/session/'), handle: services.proxy.handleUpgrade },
      { matches: isChatPath, handle: (req, socket, head) => services.chat.handleUpgrade(req, socket, head) },
    ],
  };
}
