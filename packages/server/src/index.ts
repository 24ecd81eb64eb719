export {
  publicKeyFingerprint,
  RegistrationTokens,
  type RotatedGrantKey,
  rotateGrantSigningKey,
} from './agents/grant-keys.js';
export { type RunningServer, type StartOptions, startServer } from './app/server.js';
export { systemContext } from './audit/audit-context.js';
export { BackupFormatError, type Manifest } from './backup/backup-archive.js';
export {
  BackupService,
  type BackupSummary,
  RestoreRefusedError,
  type RestoreSummary,
} from './backup/backup-service.js';
export type { ServerConfig } from './config.js';
export { redactUrl } from './db/database.js';
export { migrateToLatest } from './db/migrator.js';
export { type OpenedDatabase, openConfiguredDatabase } from './db/open.js';
export { APP_CSP, HSTS, SESSION_CSP } from './http/security-headers.js';
export { type FirstAdmin, prepareDatabase } from './installation/prepare-database.js';
export { argon2Hasher } from './platform/password-hasher.js';
export { type NginxConfigOptions, renderNginxConfig } from './proxy/nginx-config.js';
export { SystemSettingsRepo } from './system-settings/system-settings-repo.js';
export { UserAdminService } from './users/user-admin-service.js';
export { UserRepo } from './users/user-repo.js';
export { version } from './version.js';
