import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningAgent, startAgent } from '@porthole/agent';
import { type RunningServer, startServer } from '@porthole/server';
import type { Logger } from 'pino';
import type { OptionSpec } from '../config/options.js';
import { serverOptions, toServerConfig } from '../config/server-options.js';
import { hostEngineProbe, ScriptEngineInstaller } from '../engine/host.js';
import { ensureEngine } from '../engine/setup.js';
import { createLogger, resolveLogFormat } from '../logger.js';
import { runCommand } from '../run-command.js';
import { untilSignal } from '../signals.js';
import { buildInBackground } from '../startup/background-build.js';
import { formatBanner, type ImagesState } from '../startup/banner.js';

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
  {
    flag: 'setup-docker',
    env: 'PORTHOLE_SETUP_DOCKER',
    type: 'boolean',
    default: 'true',
    description:
      'as root on Debian/Ubuntu, install (docker.io) and start Docker Engine when it does not answer',
  },
];

export function run(argv: string[]): Promise<number> {
  return runCommand('up', 'Usage: porthole up [options]', upOptions, argv, async (values) => {
    const config = toServerConfig(values, process.env);
    const format = resolveLogFormat(values['log-format'], Boolean(process.stdout.isTTY));
    const logger = createLogger(values['log-level'] as string, format);
    const dockerHost = values['docker-host'] as string | undefined;
    // Taken over before start-up, so a signal while starting still ends in an orderly stop.
    const stopRequested = untilSignal(logger);
    const engine = await ensureEngine({
      endpoint: dockerHost,
      autoSetup: values['setup-docker'] === true,
      probe: hostEngineProbe,
      installer: new ScriptEngineInstaller(join(config.dataDir, 'docker')),
      log: (line) => logger.info({ component: 'docker' }, line),
    });
    if (!engine.ready)
      logger.warn(
        { hint: engine.message },
        'Docker Engine not available: the web app runs, sessions cannot start',
      );
    const server = await startServer(config, logger, { printFirstAdmin: false });
    let agent: RunningAgent | undefined;
    try {
      if (values['local-agent']) agent = await startLocalAgent(server, config, dockerHost, logger);
    } catch (err) {
      await server.close();
      throw err;
    }
    const images: ImagesState = !values['build-images']
      ? { kind: 'off', reason: 'turned off with --build-images / PORTHOLE_BUILD_IMAGES' }
      : !engine.ready
        ? { kind: 'off', reason: 'Docker Engine is not running' }
        : await buildInBackground({
            logger,
            dockerHost,
            dataDir: config.dataDir,
            onProgress: (event) => server.services.imageBuilds.record(event),
          }).catch(
            (err: unknown): ImagesState => ({
              kind: 'off',
              reason: err instanceof Error ? err.message : String(err),
            }),
          );
    const banner = formatBanner({
      url: server.url,
      firstAdmin: server.firstAdmin,
      engineProblem: engine.ready ? undefined : engine.message,
      images,
    });
    // Plain text never goes between JSON lines: with JSON logs on stdout, the banner takes stderr.
    (format === 'json' ? process.stderr : process.stdout).write(banner);
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
