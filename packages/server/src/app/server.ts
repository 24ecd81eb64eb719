import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import { type OpenedDatabase, openConfiguredDatabase } from '../db/open.js';
import { originsOfListenUrl } from '../http/origin.js';
import { loadTls } from '../http/tls.js';
import { UpgradeRouter } from '../http/upgrade-router.js';
import { type FirstAdmin, prepareDatabase } from '../installation/prepare-database.js';
import { systemClock } from '../platform/clock.js';
import { version } from '../version.js';
import { createApp, type RouteEntry } from './http-app.js';
import { routeTable } from './route-table.js';
import { createServices, type Services } from './services.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  routes: RouteEntry[];
  database: OpenedDatabase;
  services: Services;
  installationId: string;
  /** Set on a new installation's first start: who the first administrator is (and its password). */
  firstAdmin?: FirstAdmin;
  close(): Promise<void>;
}

export interface StartOptions {
  /** false: the caller prints the generated first-admin password (in its own banner). */
  printFirstAdmin?: boolean;
}

const webRoot = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

export async function startServer(
  config: ServerConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningServer> {
  const startedAt = systemClock.now();
  const database = await openConfiguredDatabase(
    { databaseUrl: config.databaseUrl, dataDir: config.dataDir },
    logger,
  );
  const closers: Array<() => Promise<void>> = [() => database.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      await close().catch((err) => logger.warn({ err }, 'shutdown step failed'));
    }
  };
  try {
    const { installationId, firstStart } = await prepareDatabase(
      database.db,
      { ...config, printFirstAdmin: options.printFirstAdmin ?? true },
      logger,
    );
    const services = await createServices({
      config,
      database,
      clock: systemClock,
      logger,
      installationId,
      startedAt,
    });
    const tls = await loadTls(config.tls, config.dataDir);
    const table = routeTable(services, { metricsToken: config.metricsToken });
    const { app, routes } = await createApp({
      logger,
      auth: services.auth,
      metrics: services.metrics,
      origins: services.origins,
      tls,
      trustedProxies: config.trustedProxies,
      routes: table,
      ...(existsSync(join(webRoot, 'index.html')) ? { webRoot } : {}),
    });
    const upgrades = new UpgradeRouter({ origins: services.origins, log: logger });
    for (const u of table.upgrades) upgrades.add(u.matches, u.handle);
    upgrades.attach(app);
    closers.push(() => app.close());
    services.driverLease.start();
    closers.push(() => services.driverLease.stop());
    // Launches taken before the lease is held carry no key and fall back to the time thresholds.
    await services.driverLease.ready();
    services.manager.start();
    closers.push(async () => services.manager.stop());
    const sweeper = setInterval(() => {
      services.auth.sweepExpired().catch(() => undefined);
    }, 3600_000);
    sweeper.unref();
    closers.push(async () => clearInterval(sweeper));

    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
    if (!config.publicUrl) {
      services.origins.add(originsOfListenUrl(url));
      if (['0.0.0.0', '::'].includes(config.host))
        logger.warn(
          { origins: services.origins.list() },
          'no --public-url: browsers are accepted only at these origins; set --public-url to the address people use',
        );
    }
    logger.info(
      { url, database: database.kind, installationId, version, origins: services.origins.list() },
      'porthole is up',
    );
    return {
      url,
      app,
      routes,
      database,
      services,
      installationId,
      ...(firstStart ? { firstAdmin: firstStart } : {}),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
