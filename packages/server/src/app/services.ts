import type { Logger } from 'pino';
import { HttpAgentClient } from '../agents/agent-client.js';
import { AgentHealth } from '../agents/agent-health.js';
import { AgentRepo } from '../agents/agent-repo.js';
import { AgentService } from '../agents/agent-service.js';
import { RegistrationTokens, ReloadingGrantSigner } from '../agents/grant-keys.js';
import { ApiKeyRepo } from '../api-keys/api-key-repo.js';
import { ApiKeyService } from '../api-keys/api-key-service.js';
import { AuditPurgeLoop } from '../audit/audit-loop.js';
import { AuditRepo } from '../audit/audit-repo.js';
import { AuditService } from '../audit/audit-service.js';
import { AttemptLimiter } from '../auth/attempt-limiter.js';
import { AuthService } from '../auth/auth-service.js';
import { AuthSessionRepo } from '../auth/auth-session-repo.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { RedisBus } from '../bus/redis-bus.js';
import type { ShareBus } from '../bus/share-bus.js';
import type { ServerConfig } from '../config.js';
import type { OpenedDatabase } from '../db/open.js';
import { EventHub } from '../events/domain-events.js';
import { EffectiveSettingsService } from '../groups/effective-settings-service.js';
import { GroupRepo } from '../groups/group-repo.js';
import { GroupService } from '../groups/group-service.js';
import { AllowedOrigins } from '../http/origin.js';
import { ImageBuildService } from '../image-builds/image-build-service.js';
import { ImageRepo } from '../images/image-repo.js';
import { ImageService } from '../images/image-service.js';
import { kasmEndpoints } from '../kasm-api/kasm-endpoints.js';
import type { KasmApi } from '../kasm-api/kasm-plugin.js';
import { KasmSessions } from '../kasm-api/kasm-sessions.js';
import { KasmStaging } from '../kasm-api/kasm-staging.js';
import { KasmUserSettings } from '../kasm-api/kasm-user-settings.js';
import { KasmUsers } from '../kasm-api/kasm-users.js';
import { OneTimeLoginRepo } from '../kasm-api/one-time-login-repo.js';
import { OneTimeLoginService } from '../kasm-api/one-time-login-service.js';
import { DriverLease } from '../manager/driver-lease.js';
import { AgentHealthLoop, ExpiryLoop, GrantKeyLoop, Manager, RecoveryLoop } from '../manager/loops.js';
import { ServerMetrics } from '../metrics/server-metrics.js';
import type { Clock } from '../platform/clock.js';
import { argon2Hasher } from '../platform/password-hasher.js';
import { EmbeddedProxy } from '../proxy/embedded-proxy.js';
import { CheckinReconciler } from '../sessions/checkin-reconciler.js';
import { LaunchRepo } from '../sessions/launch-repo.js';
import { Provisioner } from '../sessions/provisioner.js';
import { SessionRepo } from '../sessions/session-repo.js';
import { SessionService } from '../sessions/session-service.js';
import { ChatSockets } from '../sharing/chat-socket.js';
import { PendingDisconnectRepo } from '../sharing/pending-disconnect-repo.js';
import { SharingRepo } from '../sharing/sharing-repo.js';
import { SharingService } from '../sharing/sharing-service.js';
import { AgentStreamDisconnector } from '../sharing/stream-disconnector.js';
import { StagingLoop } from '../staging/staging-loop.js';
import { StagingRepo } from '../staging/staging-repo.js';
import { StagingService } from '../staging/staging-service.js';
import { StreamAuthService } from '../streams/stream-auth-service.js';
import { SystemStatus } from '../system-info/system-status.js';
import { SystemSettingsRepo } from '../system-settings/system-settings-repo.js';
import { UserAdminService } from '../users/user-admin-service.js';
import { UserRepo } from '../users/user-repo.js';
import { version } from '../version.js';
import { WorkspaceService } from '../workspaces/workspace-service.js';
import { ZoneRepo } from '../zones/zone-repo.js';
import { ZoneService } from '../zones/zone-service.js';

/** Every service of the server, built once from its side effects (database, clock, config). */
export interface Services {
  auth: AuthService;
  status: SystemStatus;
  agents: AgentService;
  sessions: SessionService;
  staging: StagingService;
  /** The effective group settings of a user (the lowest priority number wins). */
  settings: EffectiveSettingsService;
  grants: ReloadingGrantSigner;
  manager: Manager;
  /** Started with the manager: marks the launches this process drives (see driver-lease.ts). */
  driverLease: DriverLease;
  users: UserAdminService;
  groups: GroupService;
  zones: ZoneService;
  images: ImageService;
  /** The default images' background build (`porthole up`), as the admin Workspaces page shows it. */
  imageBuilds: ImageBuildService;
  workspaces: WorkspaceService;
  streams: StreamAuthService;
  proxy: EmbeddedProxy;
  bus: ShareBus;
  sharing: SharingService;
  chat: ChatSockets;
  /** Developer API keys (admin Developers tab). */
  apiKeys: ApiKeyService;
  /** One-time sign-in links (the developer API's kasm_url). */
  oneTimeLogins: OneTimeLoginService;
  /** The Kasm-compatible developer API under /api/public/. */
  kasm: KasmApi;
  /** The audit log: reading, export, retention. */
  audit: AuditService;
  /** Cross-resource reactions (events/domain-events.ts), subscribed below. */
  events: EventHub;
  /** This server's Prometheus registry (`GET /metrics`); one per server, never prom-client's global. */
  metrics: ServerMetrics;
  /** Browser origins allowed to open sockets and send cookie requests (server.ts adds the derived ones). */
  origins: AllowedOrigins;
}

export interface ServiceContext {
  config: ServerConfig;
  database: OpenedDatabase;
  clock: Clock;
  logger: Logger;
  installationId: string;
  startedAt: Date;
}

/** The repositories, one of each, all on the server's pool. */
function repositories(database: OpenedDatabase) {
  const db = database.db;
  return {
    users: new UserRepo(db),
    groups: new GroupRepo(db),
    zones: new ZoneRepo(db),
    images: new ImageRepo(db),
    agents: new AgentRepo(db),
    sessions: new SessionRepo(db),
    launch: new LaunchRepo(db),
    staging: new StagingRepo(db),
    sharing: new SharingRepo(db),
    pendingDisconnects: new PendingDisconnectRepo(db),
    systemSettings: new SystemSettingsRepo(db),
    authSessions: new AuthSessionRepo(db),
    apiKeys: new ApiKeyRepo(db),
    oneTimeLogins: new OneTimeLoginRepo(db),
    audit: new AuditRepo(db),
  };
}

export async function createServices(ctx: ServiceContext): Promise<Services> {
  const { config, database, clock } = ctx;
  const log = ctx.logger;
  const repos = repositories(database);
  const events = new EventHub(log);
  const checkinSeconds = config.checkinSeconds ?? 5;
  const metrics = new ServerMetrics();

  const apiKeys = new ApiKeyService(repos.apiKeys, clock);
  const auth = new AuthService({
    users: repos.users,
    sessions: repos.authSessions,
    hasher: argon2Hasher,
    clock,
    sessionTtlMs: config.sessionTtlHours * 3600_000,
    accountLimiter: new AttemptLimiter({ max: 10, windowMs: 15 * 60_000 }, clock),
    addressLimiter: new AttemptLimiter({ max: 50, windowMs: 15 * 60_000 }, clock),
    apiKeys,
    events,
    audit: repos.audit,
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
  const grants = await ReloadingGrantSigner.load(repos.systemSettings);
  const client = new HttpAgentClient(grants);
  const settings = new EffectiveSettingsService(repos.groups);
  const driverLease = new DriverLease({ connect: () => database.dedicated(), log });
  const provisioner = new Provisioner({
    sessions: repos.sessions,
    agents: repos.agents,
    launch: repos.launch,
    client,
    clock,
    log,
    driverKey: () => driverLease.current(),
    metrics,
  });
  const sessions = new SessionService({
    sessions: repos.sessions,
    agents: repos.agents,
    launch: repos.launch,
    client,
    provisioner,
    policy: settings,
    clock,
    checkinSeconds,
    log,
    events,
    metrics,
  });
  const health = new AgentHealth({
    agents: repos.agents,
    sessions: repos.sessions,
    clock,
    checkinSeconds,
    log,
  });
  const agents = new AgentService({
    agents: repos.agents,
    tokens: new RegistrationTokens(repos.systemSettings),
    signer: grants,
    reconciler: new CheckinReconciler(repos.sessions, clock, checkinSeconds),
    health,
    clock,
    checkinSeconds,
    pendingDisconnects: repos.pendingDisconnects,
    events,
    log,
    metrics,
  });
  const audit = new AuditService({ audit: repos.audit, settings: repos.systemSettings, clock });
  const loopMs = Math.max(1000, Math.floor((checkinSeconds * 1000) / 2));
  const manager = new Manager(
    [
      { loop: new AgentHealthLoop(health), everyMs: loopMs },
      { loop: new ExpiryLoop({ sessions: repos.sessions, service: sessions, clock, log }), everyMs: 5_000 },
      {
        loop: new RecoveryLoop({ sessions: repos.sessions, provisioner, service: sessions, clock, log }),
        everyMs: 5_000,
      },
      { loop: new StagingLoop({ repo: repos.staging, sessions, clock, log }), everyMs: loopMs },
      // A rotated key (CLI or another replica) is in use here within 2 s, agents have it one check-in later.
      { loop: new GrantKeyLoop(grants, log), everyMs: 2_000 },
      { loop: new AuditPurgeLoop({ service: audit, clock }), everyMs: 3600_000 },
    ],
    log,
  );
  const users = new UserAdminService(repos.users, argon2Hasher, { clock, events });
  const bus: ShareBus = config.redisUrl ? new RedisBus(config.redisUrl, log) : new MemoryBus();
  const sharing = new SharingService({
    repo: repos.sharing,
    sessions: repos.sessions,
    sessionService: sessions,
    settings,
    bus,
    clock,
    streams: new AgentStreamDisconnector({
      agents: repos.agents,
      client,
      pending: repos.pendingDisconnects,
      clock,
      log,
    }),
  });
  const streams = new StreamAuthService({
    sessions: repos.sessions,
    agents: repos.agents,
    signer: grants,
    participants: sharing,
    clock,
  });
  const chat = new ChatSockets({ sharing, bus, clock, log, auth });
  const groups = new GroupService(repos.groups);
  const images = new ImageService(repos.images);
  const oneTimeLogins = new OneTimeLoginService({ repo: repos.oneTimeLogins, auth, clock });
  const zones = new ZoneService(repos.zones);
  const staging = new StagingService(repos.staging);
  const kasmUsers = new KasmUsers({ users, userRepo: repos.users, groups, images, auth });
  const kasm: KasmApi = {
    keys: apiKeys,
    endpoints: kasmEndpoints(
      new KasmSessions({ sessions, users, images, logins: oneTimeLogins, sharing, agents, clock }),
      kasmUsers,
      new KasmStaging({ zones, images, staging }),
      new KasmUserSettings({ resolve: (t) => kasmUsers.resolve(t), users, groups, settings }),
    ),
  };

  const proxy = new EmbeddedProxy({ auth, streams, log, trustedProxies: config.trustedProxies });
  metrics.readAtScrape({
    sessionsByState: () => repos.sessions.countByState(),
    agentsOnline: () => agents.onlineCount(),
    streams: () => proxy.streamMeters(),
    pool: () => database.poolUse(),
    bus: () => ({ kind: bus.kind, available: bus.available() }),
    log,
  });

  // Who reacts to what: the emitting service knows none of these.
  events.on('sessionEnded', ({ sessionId }) => sharing.sessionEnded(sessionId));
  events.on('signedOut', ({ userId, signIn, exceptSignIn }) =>
    sharing.signedOut(userId, {
      ...(signIn ? { signIn } : {}),
      ...(exceptSignIn ? { exceptSignIn } : {}),
    }),
  );
  events.on('userBarred', ({ userId }) => sharing.disconnectUser(userId));
  events.on('userDeleting', ({ userId }) => sessions.deleteAllForUser(userId));
  events.on('agentDeleting', ({ agentId }) => sessions.destroyAllOnAgent(agentId));

  return {
    auth,
    status,
    agents,
    sessions,
    staging,
    settings,
    grants,
    manager,
    driverLease,
    users,
    groups,
    zones,
    images,
    imageBuilds: new ImageBuildService(clock),
    workspaces: new WorkspaceService(repos.images),
    streams,
    proxy,
    bus,
    sharing,
    chat,
    apiKeys,
    oneTimeLogins,
    kasm,
    audit,
    events,
    metrics,
    origins: new AllowedOrigins([
      ...(config.publicUrl ? [new URL(config.publicUrl).origin] : []),
      ...(config.allowedOrigins ?? []),
    ]),
  };
}
