export { UserAdminService } from './api/users/user-admin-service.js';
export { argon2Hasher } from './auth/password-hasher.js';
export type { ServerConfig } from './config.js';
export { redactUrl } from './db/database.js';
export { migrateToLatest } from './db/migrator.js';
export { type OpenedDatabase, openConfiguredDatabase } from './db/open.js';
export { prepareDatabase } from './installation/prepare-database.js';
export { type RunningServer, startServer } from './server.js';
export { version } from './version.js';
