import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { SystemStatus } from './api/system-info/system-status.js';
import { UserRepo } from './api/users/user-repo.js';
import { AttemptLimiter } from './auth/attempt-limiter.js';
import { AuthService } from './auth/auth-service.js';
import { AuthSessionRepo } from './auth/auth-session-repo.js';
import { argon2Hasher } from './auth/password-hasher.js';
import type { ServerConfig } from './config.js';
import { type OpenedDatabase, openConfiguredDatabase } from './db/open.js';
import { createApp, type RouteEntry } from './http/app.js';
import { loadTls } from './http/tls.js';
import { prepareDatabase } from './installation/prepare-database.js';
import { systemClock } from './platform/clock.js';
import { version } from './version.js';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  routes: RouteEntry[];
  database: OpenedDatabase;
  installationId: string;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const startedAt = systemClock.now();
  const database = await openConfiguredDatabase(
    { databaseUrl: config.databaseUrl, dataDir: config.dataDir },
    logger,
  );
  const closers: Array<() => Promise<void>> = [() => database.close()];
  const closeAll = async () => {
    for (const close of closers.reverse())
      await close().catch((err) => logger.warn({ err }, 'shutdown step failed'));
  };
  try {
    const installation = await prepareDatabase(database.db, config, logger);
    const users = new UserRepo(database.db);

    const auth = new AuthService({
      users,
      sessions: new AuthSessionRepo(database.db),
      hasher: argon2Hasher,
      clock: systemClock,
      sessionTtlMs: config.sessionTtlHours * 3600_000,
      accountLimiter: new AttemptLimiter({ max: 10, windowMs: 15 * 60_000 }, systemClock),
      addressLimiter: new AttemptLimiter({ max: 50, windowMs: 15 * 60_000 }, systemClock),
    });
    const status = new SystemStatus({
      version,
      database: database.kind,
      bus: config.redisUrl ? 'redis' : 'memory',
      installationId: installation.installationId,
      startedAt,
      clock: systemClock,
      pingDatabase: () => database.ping(),
    });
    const tls = await loadTls(config.tls, config.dataDir);
    const { app, routes } = await createApp({
      logger,
      auth,
      status,
      tls,
      trustedProxies: config.trustedProxies,
    });
    closers.push(() => app.close());
    const sweeper = setInterval(() => {
      new AuthSessionRepo(database.db).deleteExpired(systemClock.now()).catch(() => undefined);
    }, 3600_000);
    sweeper.unref();
    closers.push(async () => clearInterval(sweeper));

    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `${tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info(
      { url, database: database.kind, installationId: installation.installationId, version },
      'porthole is up',
    );
    return { url, app, routes, database, installationId: installation.installationId, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
