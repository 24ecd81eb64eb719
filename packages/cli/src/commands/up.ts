import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningAgent, startAgent } from '@porthole/agent';
import type { ImageBuildEvent } from '@porthole/contracts';
import { type RunningServer, startServer } from '@porthole/server';
import type { Logger } from 'pino';
import type { OptionSpec } from '../config/options.js';
import { serverOptions, toServerConfig } from '../config/server-options.js';
import { buildImages } from '../images/index.js';
import { createLogger } from '../logger.js';
import { runCommand } from '../run-command.js';
import { untilSignal } from '../signals.js';

export const summary = 'run server, proxy and a local agent on this machine (all-in-one)';

const upOptions: OptionSpec[] = [
  ...serverOptions,
  {
    flag: 'local-agent',
    env: 'PORTHOLE_LOCAL_AGENT',
    type: 'boolean',
    default: 'true',
    description: 'run an agent for this machine’s Docker in the same process',
  },
  {
    flag: 'build-images',
    env: 'PORTHOLE_BUILD_IMAGES',
    type: 'boolean',
    default: 'true',
    description: 'build the default workspace images in the background when missing or changed',
  },
  {
    flag: 'docker-host',
    env: 'DOCKER_HOST',
    type: 'string',
    description: 'Docker Engine for the local agent (unix:///… or tcp://…); the local socket when unset',
  },
];

export function run(argv: string[]): Promise<number> {
  return runCommand('up', 'Usage: porthole up [options]', upOptions, argv, async (values) => {
    const config = toServerConfig(values, process.env);
    const logger = createLogger(values['log-level'] as string);
    // Taken over before start-up, so a signal while starting still ends in an orderly stop.
    const stopRequested = untilSignal(logger);
    const server = await startServer(config, logger);
    let agent: RunningAgent | undefined;
    try {
      if (values['local-agent'])
        agent = await startLocalAgent(server, config, values['docker-host'] as string | undefined, logger);
    } catch (err) {
      await server.close();
      throw err;
    }
    if (values['build-images'])
      buildInBackground(logger, values['docker-host'] as string | undefined, (event) =>
        server.services.imageBuilds.record(event),
      );
    await stopRequested;
    server.services.proxy.setLocalGateway(undefined);
    await agent?.close();
    await server.close();
    return 0;
  });
}

/** The agent for this machine, pre-registered with the registration token: nothing to paste. */
async function startLocalAgent(
  server: RunningServer,
  config: ReturnType<typeof toServerConfig>,
  dockerHost: string | undefined,
  logger: Logger,
): Promise<RunningAgent> {
  const { token } = await server.services.agents.registrationToken();
  const url = new URL(server.url);
  // The agent reaches the server over loopback whatever address the server listens on.
  if (['0.0.0.0', '[::]', '::'].includes(url.hostname)) url.hostname = '127.0.0.1';
  const serverCa =
    config.tls.mode === 'self-signed'
      ? await readFile(join(config.dataDir, 'tls-cert.pem'), 'utf8')
      : config.tls.mode === 'files'
        ? await readFile(config.tls.certFile, 'utf8')
        : undefined;
  const agent = await startAgent(
    {
      serverUrl: url.origin,
      token,
      name: 'local',
      listen: { host: '127.0.0.1', port: 0 },
      stateDir: join(config.dataDir, 'agent'),
      checkinIntervalSeconds: config.checkinSeconds ?? 5,
      ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
      ...(serverCa ? { serverCa } : {}),
      ...(dockerHost ? { dockerHost } : {}),
    },
    logger.child({ component: 'agent' }),
  );
  // A saved identity skips registration, so tell the server this start's port.
  await server.services.agents.setUrl(agent.agentId, agent.url);
  const gateway = agent.gateway;
  // Same process: the proxy hands sockets to the gateway, no second hop over loopback.
  server.services.proxy.setLocalGateway({
    agentId: agent.agentId,
    relayUpgrade: (req, socket, head, grant) => gateway.relayUpgrade(req, socket, head, grant),
    handleRequest: (req, res, grant) => gateway.handleRequest(req, res, grant),
    meter: () => gateway.meter(),
  });
  logger.info({ agentId: agent.agentId, url: agent.url }, 'local agent running');
  return agent;
}

/**
 * A newcomer's first launch needs the default images; build them without holding up start-up.
 * Progress goes to the log and, as data, to the server's image-build state (admin Workspaces page).
 */
function buildInBackground(
  logger: Logger,
  dockerHost: string | undefined,
  onProgress: (event: ImageBuildEvent) => void,
): void {
  const log = logger.child({ component: 'images' });
  if (dockerHost && !dockerHost.startsWith('unix://')) {
    log.info('not building images: the local agent uses a remote Docker host');
    return;
  }
  buildImages({ log: (line) => log.info(line), onProgress })
    .then((results) => {
      const failed = results.filter((r) => r.status === 'failed');
      if (failed.length > 0)
        log.warn({ failed: failed.map((f) => `${f.name}: ${f.error}`) }, 'some images did not build');
      else log.info({ images: results.map((r) => `${r.image} ${r.status}`) }, 'workspace images ready');
    })
    .catch((err: unknown) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'image build skipped'),
    );
}
