import { fastifyCookie } from '@fastify/cookie';
import type { GrantSigner } from '@porthole/stream';
import type { Logger } from 'pino';
import { HttpAgentClient } from '../agents/agent-client.js';
import { AgentRepo } from '../agents/agent-repo.js';
import { AgentService } from '../agents/agent-service.js';
import { CheckinReconciler } from '../agents/checkin-reconciler.js';
import { loadGrantSigner, RegistrationTokens } from '../agents/grant-keys.js';
import { ApiKeyRepo } from '../api-keys/api-key-repo.js';
import { ApiKeyService } from '../api-keys/api-key-service.js';
import { AttemptLimiter } from '../auth/attempt-limiter.js';
import { AuthService } from '../auth/auth-service.js';
import { AuthSessionRepo } from '../auth/auth-session-repo.js';
import { SESSION_COOKIE } from '../auth/caller-hook.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { RedisBus } from '../bus/redis-bus.js';
import type { ShareBus } from '../bus/share-bus.js';
import type { ServerConfig } from '../config.js';
import type { OpenedDatabase } from '../db/open.js';
import { EffectiveSettingsService } from '../groups/effective-settings-service.js';
import { GroupRepo } from '../groups/group-repo.js';
import { GroupService } from '../groups/group-service.js';
import { UpgradeRouter } from '../http/upgrade-router.js';
import { ImageBuildService } from '../image-builds/image-build-service.js';
import { ImageRepo } from '../images/image-repo.js';
import { ImageService } from '../images/image-service.js';
import { kasmEndpoints } from '../kasm-api/kasm-endpoints.js';
import type { KasmApi } from '../kasm-api/kasm-plugin.js';
import { KasmSessions } from '../kasm-api/kasm-sessions.js';
import { KasmUsers } from '../kasm-api/kasm-users.js';
import { OneTimeLoginRepo } from '../kasm-api/one-time-login-repo.js';
import { OneTimeLoginService } from '../kasm-api/one-time-login-service.js';
import { DriverLease } from '../manager/driver-lease.js';
import { AgentHealthLoop, ExpiryLoop, Manager, RecoveryLoop } from '../manager/loops.js';
import type { Clock } from '../platform/clock.js';
import { argon2Hasher } from '../platform/password-hasher.js';
import { EmbeddedProxy } from '../proxy/embedded-proxy.js';
import { LaunchRepo } from '../sessions/launch-repo.js';
import { Provisioner } from '../sessions/provisioner.js';
import { SessionRepo } from '../sessions/session-repo.js';
import { SessionService } from '../sessions/session-service.js';
import { ChatSockets, isChatPath } from '../sharing/chat-socket.js';
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
  settings: EffectiveSettingsService;
  grants: GrantSigner;
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
  /** The one WebSocket upgrade dispatcher (stream proxy, share chat). */
  upgrades: UpgradeRouter;
  /** Developer API keys (admin Developers tab). */
  apiKeys: ApiKeyService;
  /** One-time sign-in links (the developer API's kasm_url). */
  oneTimeLogins: OneTimeLoginService;
  /** The Kasm-compatible developer API under /api/public/. */
  kasm: KasmApi;
}

export interface ServiceContext {
  config: ServerConfig;
  database: OpenedDatabase;
  clock: Clock;
  logger: Logger;
  installationId: string;
  startedAt: Date;
}

export async function createServices(ctx: ServiceContext): Promise<Services> {
  const { config, database, clock } = ctx;
  const db = database.db;
  const users = new UserRepo(db);
  const apiKeys = new ApiKeyService(new ApiKeyRepo(db), clock);
  const auth = new AuthService({
    users,
    sessions: new AuthSessionRepo(db),
    hasher: argon2Hasher,
    clock,
    sessionTtlMs: config.sessionTtlHours * 3600_000,
    accountLimiter: new AttemptLimiter({ max: 10, windowMs: 15 * 60_000 }, clock),
    addressLimiter: new AttemptLimiter({ max: 50, windowMs: 15 * 60_000 }, clock),
    apiKeys,
    // `sharing` and `log` are made below; the hook runs only once a request arrives.
    onSignedOut: (userId, signIn) =>
      sharing.signedOut(userId, signIn ? { signIn } : {}).catch((err: unknown) => {
        log.warn({ err, userId }, 'closing the streams of ended sign-ins failed');
      }),
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
  const checkinSeconds = config.checkinSeconds ?? 5;
  const log = ctx.logger;
  const grants = await loadGrantSigner(new SystemSettingsRepo(db));
  const agentRepo = new AgentRepo(db);
  const sessionRepo = new SessionRepo(db);
  const launch = new LaunchRepo(db);
  const client = new HttpAgentClient(grants);
  const settings = new EffectiveSettingsService(new GroupRepo(db));
  const driverLease = new DriverLease({ connect: () => database.dedicated(), log });
  const provisioner = new Provisioner({
    sessions: sessionRepo,
    agents: agentRepo,
    launch,
    client,
    clock,
    log,
    driverKey: () => driverLease.current(),
  });
  // Sharing is built after sessions but must hear when one ends.
  let sessionEnded: (id: string) => Promise<void> = async () => undefined;
  const sessions = new SessionService({
    onEnded: (id) => sessionEnded(id),
    db,
    sessions: sessionRepo,
    agents: agentRepo,
    launch,
    client,
    provisioner,
    policy: settings,
    clock,
    checkinSeconds,
    log,
  });
  const pendingDisconnects = new PendingDisconnectRepo(db);
  const agents = new AgentService({
    db,
    agents: agentRepo,
    tokens: new RegistrationTokens(new SystemSettingsRepo(db)),
    signer: grants,
    reconciler: new CheckinReconciler(sessionRepo, clock, checkinSeconds),
    clock,
    checkinSeconds,
    destroySessionsOnAgent: (agentId) => sessions.destroyAllOnAgent(agentId),
    pendingDisconnects,
    log,
  });
  const stagingRepo = new StagingRepo(db);
  const staging = new StagingService(db, stagingRepo);
  const loopMs = Math.max(1000, Math.floor((checkinSeconds * 1000) / 2));
  const manager = new Manager(
    [
      {
        loop: new AgentHealthLoop({ agents: agentRepo, sessions: sessionRepo, clock, checkinSeconds, log }),
        everyMs: loopMs,
      },
      { loop: new ExpiryLoop({ sessions: sessionRepo, service: sessions, clock, log }), everyMs: 5_000 },
      {
        loop: new RecoveryLoop({ sessions: sessionRepo, provisioner, service: sessions, clock, log }),
        everyMs: 5_000,
      },
      { loop: new StagingLoop({ repo: stagingRepo, sessions, clock, log }), everyMs: loopMs },
    ],
    log,
  );
  const userAdmin = new UserAdminService(db, argon2Hasher, {
    clock,
    onUserDeleted: (userId) => sessions.deleteAllForUser(userId),
    // `sharing` is made below; the hook runs only once a request arrives.
    onUserBarred: (userId) => sharing.disconnectUser(userId),
    onPasswordChanged: (userId, kept) => sharing.signedOut(userId, kept ? { exceptSignIn: kept } : {}),
    log,
  });
  const imageRepo = new ImageRepo(db);
  const bus: ShareBus = config.redisUrl ? new RedisBus(config.redisUrl, log) : new MemoryBus();
  const sharing = new SharingService({
    repo: new SharingRepo(db),
    sessions: sessionRepo,
    sessionService: sessions,
    settings,
    bus,
    clock,
    streams: new AgentStreamDisconnector({
      agents: agentRepo,
      client,
      pending: pendingDisconnects,
      clock,
      log,
    }),
  });
  sessionEnded = (id) => sharing.sessionEnded(id);
  const streams = new StreamAuthService({
    sessions: sessionRepo,
    agents: agentRepo,
    signer: grants,
    participantRole: (sessionId, userId) => sharing.participantRole(sessionId, userId),
  });
  const upgrades = new UpgradeRouter();
  const chat = new ChatSockets({
    sharing,
    bus,
    clock,
    log,
    resolveCaller: async (req) => {
      const token = fastifyCookie.parse(req.headers.cookie ?? '')[SESSION_COOKIE];
      return token ? auth.resolveSession(token) : null;
    },
  });
  upgrades.add(isChatPath, (req, socket, head) => chat.handleUpgrade(req, socket, head));
  const oneTimeLogins = new OneTimeLoginService({ repo: new OneTimeLoginRepo(db), auth, clock });
  const kasmImages = new ImageService(imageRepo);
  const kasm: KasmApi = {
    keys: apiKeys,
    endpoints: kasmEndpoints(
      new KasmSessions({
        sessions,
        users: userAdmin,
        images: kasmImages,
        logins: oneTimeLogins,
        sharing,
        clock,
      }),
      new KasmUsers({
        users: userAdmin,
        userRepo: users,
        groups: new GroupService(new GroupRepo(db)),
        images: kasmImages,
        auth,
      }),
    ),
  };
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
    users: userAdmin,
    groups: new GroupService(new GroupRepo(db)),
    zones: new ZoneService(new ZoneRepo(db)),
    images: new ImageService(imageRepo),
    imageBuilds: new ImageBuildService(clock),
    workspaces: new WorkspaceService(imageRepo),
    streams,
    proxy: new EmbeddedProxy({ auth, streams, upgrades, log, trustedProxies: config.trustedProxies }),
    upgrades,
    bus,
    sharing,
    chat,
    apiKeys,
    oneTimeLogins,
    kasm,
  };
}
