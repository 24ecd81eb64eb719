import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { Logger } from 'pino';
import { installErrorHandler } from './error-handler.js';
import { installGrantAuth, type VerifierSource } from './grant-auth.js';
import { agentRoutes, type RouteDeps } from './routes.js';

export interface AgentApiDeps extends RouteDeps {
  logger: Logger;
  verifier: VerifierSource;
  tls?: { cert: string; key: string };
}

/** Builds (does not listen) the agent API. */
export function createAgentApi(deps: AgentApiDeps): FastifyInstance {
  const options: FastifyServerOptions & { https?: { cert: string; key: string } } = {
    loggerInstance: deps.logger,
    // Request lines would repeat what the session operations already log, with their ids.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // A readiness wait may legitimately take its whole timeout.
    requestTimeout: 0,
  };
  if (deps.tls) options.https = deps.tls;
  const app = Fastify(options) as unknown as FastifyInstance;
  installErrorHandler(app);
  installGrantAuth(app, deps.verifier);
  agentRoutes(app, deps);
  return app;
}
