import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { Logger } from 'pino';
import { authRoutes } from '../auth/auth-routes.js';
import type { AuthService } from '../auth/auth-service.js';
import { installCallerHook, requireAdmin } from '../auth/caller-hook.js';
import { healthRoutes } from '../health/health-routes.js';
import { installErrorHandler } from '../http/error-handler.js';
import type { TlsMaterial } from '../http/tls.js';
import { systemInfoRoutes } from '../system-info/system-info-routes.js';
import type { SystemStatus } from '../system-info/system-status.js';

export interface AppDeps {
  logger: Logger;
  auth: AuthService;
  status: SystemStatus;
  tls?: TlsMaterial;
  /** Addresses whose X-Forwarded-* headers are believed (`--behind-proxy`). */
  trustedProxies?: string[];
  /** Resource routes outside the admin scope (paths start with /api/…). */
  routes?: Array<(app: FastifyInstance) => void>;
  /** Built web app (index.html + assets) served at `/`, with index.html for client-side routes. */
  webRoot?: string;
  /** Resource routes inside /api/admin (paths relative to it), behind the admin guard. */
  adminRoutes?: Array<(admin: FastifyInstance) => void>;
}

export interface RouteEntry {
  method: string;
  url: string;
}

/** Builds the HTTP app; the list of routes it collects feeds the authorization tests. */
export async function createApp(deps: AppDeps): Promise<{ app: FastifyInstance; routes: RouteEntry[] }> {
  const options: FastifyServerOptions & { https?: TlsMaterial } = {
    loggerInstance: deps.logger,
    // Per-request lines would drown the log (keepalives, check-ins); errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustedProxies && deps.trustedProxies.length > 0 ? deps.trustedProxies : false,
    bodyLimit: 1024 * 1024,
    requestTimeout: 60_000,
  };
  if (deps.tls) options.https = deps.tls;
  const app = Fastify(options) as unknown as FastifyInstance;
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) if (m !== 'HEAD') routes.push({ method: m, url: r.url });
  });

  await app.register(cookie);
  installErrorHandler(app, deps.webRoot ? 'index.html' : undefined);
  if (deps.webRoot) {
    await app.register(fastifyStatic, {
      root: deps.webRoot,
      wildcard: false,
      index: 'index.html',
      cacheControl: false,
      setHeaders: (res, path) => {
        // Hashed assets never change; index.html must always be fresh.
        res.header(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  }
  installCallerHook(app, deps.auth);

  healthRoutes(app, deps.status);
  authRoutes(app, deps.auth, deps.tls !== undefined);
  for (const register of deps.routes ?? []) register(app);

  // Everything under /api/admin sits behind one guard, so no admin route can forget it.
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', async (request) => {
        requireAdmin(request);
      });
      systemInfoRoutes(admin, deps.status);
      for (const register of deps.adminRoutes ?? []) register(admin);
    },
    { prefix: '/api/admin' },
  );

  return { app, routes };
}
