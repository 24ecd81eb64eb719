import type { Logger } from 'pino';
import { SystemStatus } from './api/system-info/system-status.js';
import { UserRepo } from './api/users/user-repo.js';
import { AttemptLimiter } from './auth/attempt-limiter.js';
import { AuthService } from './auth/auth-service.js';
import { AuthSessionRepo } from './auth/auth-session-repo.js';
import { argon2Hasher } from './auth/password-hasher.js';
import type { ServerConfig } from './config.js';
import type { OpenedDatabase } from './db/open.js';
import type { Clock } from './platform/clock.js';
import { version } from './version.js';

/** Every service of the server, built once from its side effects (database, clock, config). */
export interface Services {
  auth: AuthService;
  status: SystemStatus;
}

export interface ServiceContext {
  config: ServerConfig;
  database: OpenedDatabase;
  clock: Clock;
  logger: Logger;
  installationId: string;
  startedAt: Date;
}

export function createServices(ctx: ServiceContext): Services {
  const { config, database, clock } = ctx;
  const db = database.db;
  const users = new UserRepo(db);
  const auth = new AuthService({
    users,
    sessions: new AuthSessionRepo(db),
    hasher: argon2Hasher,
    clock,
    sessionTtlMs: config.sessionTtlHours * 3600_000,
    accountLimiter: new AttemptLimiter({ max: 10, windowMs: 15 * 60_000 }, clock),
    addressLimiter: new AttemptLimiter({ max: 50, windowMs: 15 * 60_000 }, clock),
  });
  const status = new SystemStatus({
    version,
    database: database.kind,
    bus: config.redisUrl ? 'redis' : 'memory',
    installationId: ctx.installationId,
    startedAt: ctx.startedAt,
    clock,
    pingDatabase: () => database.ping(),
  });
  return { auth, status };
}
