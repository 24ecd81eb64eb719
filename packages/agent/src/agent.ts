import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { GrantVerifier } from '@porthole/stream';
import type { Logger } from 'pino';
import { metricsRoutes } from './api/metrics-routes.js';
import { createAgentApi } from './api/server.js';
import { sessionRoutes } from './api/session-routes.js';
import { CheckinHandler } from './checkin/checkin-handler.js';
import { CheckinLoop } from './checkin/checkin-loop.js';
import { type HostProbe, ResourceSampler } from './checkin/resources.js';
import { type AgentConfig, agentUrl, DEFAULT_PULL_CONCURRENCY } from './config.js';
import { ControlPlaneClient } from './control/control-client.js';
import { ensureIdentity, RegistrationError } from './control/registration.js';
import { SessionGateway } from './gateway/session-gateway.js';
import { PullScheduler } from './images/pull-scheduler.js';
import { AgentMetrics } from './metrics/agent-metrics.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';
import { DockerRuntime } from './runtime/docker-runtime.js';
import { EngineMonitor, isEngineUnavailable } from './runtime/engine-monitor.js';
import { agentSessionSelector } from './sessions/container-spec.js';
import { waitForRfb } from './sessions/readiness.js';
import { SessionReconciler } from './sessions/reconciler.js';
import { SessionRegistry } from './sessions/registry.js';
import { SessionService } from './sessions/session-service.js';
import { type AgentIdentity, IdentityStore } from './state/identity-store.js';
import { AgentError, errorMessage } from './util/errors.js';
import { AGENT_VERSION } from './version.js';

export interface RunningAgent {
  agentId: string;
  /** The agent API's URL as registered with the server. */
  url: string;
  /** Live session records: an in-process proxy reads `sessions.target(id)` for port and password. */
  sessions: SessionRegistry;
  /** The stream gateway; `porthole up` hands it upgraded sockets directly (one hop). */
  gateway: SessionGateway;
  /** This agent's registry (`GET /metrics` on its API). */
  metrics: AgentMetrics;
  close(): Promise<void>;
}

/** Seams for tests and for `porthole up`; production uses the defaults. */
export interface AgentDeps {
  runtime?: ContainerRuntime;
  host?: HostProbe;
  waitForRfb?: typeof waitForRfb;
}

/**
 * Runs an agent: the API on `listen`, registration (once; the identity is kept in stateDir),
 * reconcile with Docker, the events subscription, image pulls and the check-in loop.
 */
export async function startAgent(
  config: AgentConfig,
  logger: Logger,
  deps: AgentDeps = {},
): Promise<RunningAgent> {
  const runtime = deps.runtime ?? new DockerRuntime(config.dockerHost);
  const registry = new SessionRegistry();
  const store = new IdentityStore(config.stateDir);
  const client = new ControlPlaneClient({
    serverUrl: config.serverUrl,
    ...(config.serverCa ? { ca: config.serverCa } : {}),
  });
  const sampler = new ResourceSampler({ runtime, logger, ...(deps.host ? { host: deps.host } : {}) });
  let identity: AgentIdentity | null = null;
  let verifier: GrantVerifier | null = null;
  let service: SessionService | null = null;
  let pulls: PullScheduler | null = null;

  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  // Fail before binding a port when the agent could never register.
  if (!config.token && !(await store.load())) {
    throw new RegistrationError(
      `no saved identity in ${store.path} and no registration token: pass --token or PORTHOLE_AGENT_TOKEN`,
    );
  }
  const gateway = new SessionGateway({
    verifier: () => verifier,
    targets: registry,
    onActivity: (sessionId) => registry.markActivity(sessionId),
    log: logger.child({ component: 'gateway' }),
  });
  const app = createAgentApi({
    logger: logger.child({ component: 'api' }),
    verifier: () => verifier,
    sessions: () => {
      if (!service) throw new AgentError('unavailable', 'the agent is still starting');
      return service;
    },
    health: () => ({ agentId: identity?.agentId ?? null, version: AGENT_VERSION }),
    streams: gateway,
    ...(config.tls ? { tls: config.tls } : {}),
  });
  // The API listens before registration, so a scrape may come before the pull scheduler exists.
  const metrics = new AgentMetrics({
    sessionStates: () => registry.list().map((r) => r.state),
    streams: () => gateway.meter(),
    pullsInProgress: () => pulls?.pullsInProgress() ?? 0,
  });
  sessionRoutes(app, gateway);
  metricsRoutes(app, metrics, config.metricsToken);
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const url = agentUrl(config, port);
  logger.info({ listen: `${config.listen.host}:${port}`, url }, 'agent API listening');

  try {
    ({ identity } = await ensureIdentity(
      { store, client, logger },
      {
        token: config.token,
        name: config.name,
        url,
        version: AGENT_VERSION,
        hostname: hostname(),
        ...(config.zone ? { zone: config.zone } : {}),
      },
    ));
  } catch (error) {
    await app.close();
    client.close();
    throw error;
  }
  const agentId = identity.agentId;
  const grants = new GrantVerifier(identity.grantPublicKey, agentId);
  verifier = grants;
  const agentLog = logger.child({ agentId });

  const reconciler = new SessionReconciler({ runtime, registry, agentId, logger: agentLog });
  service = new SessionService({
    runtime,
    registry,
    reconciler,
    agentId,
    logger: agentLog,
    host: () => sampler.limits(),
    waitForRfb: deps.waitForRfb ?? waitForRfb,
  });
  // Pulls and check-ins exist only below; the monitor reaches them through these late calls.
  const engine = new EngineMonitor({
    runtime,
    logger: agentLog,
    onBack: () => {
      pulls?.retryNow();
      loop.trigger();
    },
  });
  try {
    await reconciler.reconcile();
    engine.up();
    agentLog.info({ sessions: registry.size }, 'reconciled with Docker');
  } catch (error) {
    if (isEngineUnavailable(error)) engine.down(error);
    else
      agentLog.warn(
        { err: errorMessage(error) },
        'reconcile with Docker failed; will retry before each check-in',
      );
  }

  // The one cycle in the wiring: the check-in reports on the pulls, and a settled pull asks for a
  // check-in at once. Pulls start only when a check-in answer names images, so `loop` exists by then.
  pulls = new PullScheduler({
    runtime,
    logger: agentLog,
    onSettled: () => loop.trigger(),
    concurrency: config.pullConcurrency ?? DEFAULT_PULL_CONCURRENCY,
    metrics,
    engine,
  });
  const checkin = new CheckinHandler({
    identity,
    store,
    grants,
    reconciler,
    registry,
    sessions: service,
    sampler,
    pulls,
    streams: gateway,
    logger: agentLog,
    version: AGENT_VERSION,
    engine,
  });
  const loop = new CheckinLoop({
    client,
    credentials: { agentId, secret: identity.secret },
    identityPath: store.path,
    logger: agentLog,
    intervalMs: config.checkinIntervalSeconds * 1000,
    gather: () => checkin.gather(),
    apply: (answer) => checkin.apply(answer),
    metrics,
  });

  const stopEvents = runtime.events((event) => reconciler.handleEvent(event), {
    labels: agentSessionSelector(agentId),
    // A lost stream is usually the engine going away: the monitor asks it and warns once if so.
    onDisconnect: (error) => {
      agentLog.debug({ err: error.message }, 'lost the Docker event stream; reconnecting');
      void engine.probe();
    },
    onReconnect: () => {
      agentLog.debug('Docker event stream is back; reconciling');
      engine.up();
      sampler.invalidateEngine();
      reconciler
        .reconcile()
        .then(() => loop.trigger())
        .catch((error: unknown) =>
          agentLog.warn({ err: errorMessage(error) }, 'reconcile after reconnect failed'),
        );
    },
  });
  loop.start();

  let closing: Promise<void> | null = null;
  return {
    agentId,
    url,
    sessions: registry,
    gateway,
    metrics,
    close: () => {
      closing ??= (async () => {
        await loop.stop();
        stopEvents();
        pulls.close();
        gateway.close();
        await app.close();
        client.close();
        agentLog.info('agent stopped');
      })();
      return closing;
    },
  };
}
