import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { AuthService } from '../auth/auth-service.js';
import { installCallerHook } from '../auth/caller-hook.js';
import { requireAdmin } from '../http/caller.js';
import { installErrorHandler } from '../http/error-handler.js';
import type { AllowedOrigins } from '../http/origin.js';
import { installOriginGuard } from '../http/origin-guard.js';
import { installSecurityHeaders } from '../http/security-headers.js';
import type { TlsMaterial } from '../http/tls.js';
import { type HttpRequestMetrics, installHttpMetrics } from '../metrics/http-metrics.js';
import type { RouteTable } from './route-table.js';

export interface AppDeps {
  logger: Logger;
  auth: AuthService;
  /** Times every answered request by route pattern (the server's metrics). */
  metrics?: HttpRequestMetrics;
  /** Origins whose pages may send state-changing requests with the cookie (http/origin.ts). */
  origins: AllowedOrigins;
  tls?: TlsMaterial;
  /** Addresses whose X-Forwarded-* headers are believed (`--behind-proxy`). */
  trustedProxies?: string[];
  /** Every HTTP route (route-table.ts); upgrades are attached by the caller. */
  routes: Pick<RouteTable, 'routes' | 'adminRoutes'>;
  /** Built web app (index.html + assets) served at `/`, with index.html for client-side routes. */
  webRoot?: string;
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

  // First, so every answer carries them, refusals of the hooks below included.
  installSecurityHeaders(app);
  // First, so every route registered after it (the admin scope's too) is timed.
  if (deps.metrics) installHttpMetrics(app, deps.metrics);
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
  // Before the caller hook: a forged request is refused without looking its cookie up.
  installOriginGuard(app, deps.origins);
  installCallerHook(app, deps.auth);

  for (const register of deps.routes.routes) register(app);

  // Everything under /api/admin sits behind one guard, so no admin route can forget it.
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', async (request) => {
        requireAdmin(request);
      });
      for (const register of deps.routes.adminRoutes) register(admin);
    },
    { prefix: '/api/admin' },
  );

  return { app, routes };
}
