import { z } from 'zod';
import { idSchema, nameSchema } from './common.js';

export const agentStatusSchema = z.enum(['online', 'offline', 'draining', 'disabled']);
export type AgentStatus = z.infer<typeof agentStatusSchema>;

export const imagePullStateSchema = z.object({
  ref: z.string(),
  state: z.enum(['present', 'pulling', 'missing', 'error']),
  layersDone: z.number().int().nonnegative().optional(),
  layersTotal: z.number().int().nonnegative().optional(),
  bytesDone: z.number().nonnegative().optional(),
  bytesTotal: z.number().nonnegative().optional(),
  message: z.string().max(2000).optional(),
});
export type ImagePullState = z.infer<typeof imagePullStateSchema>;

/**
 * Whether the agent's container engine answers. Reported at check-in (optional: older agents omit
 * it) and shown to admins; placement skips an agent whose engine is unreachable.
 */
export const engineHealthSchema = z.object({
  reachable: z.boolean(),
  error: z.string().max(2000).optional(),
  version: z.string().max(64).optional(),
});
export type EngineHealth = z.infer<typeof engineHealthSchema>;

const capacity = z.object({ total: z.number(), allocated: z.number(), used: z.number() });

export const agentViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  zoneId: z.string(),
  url: z.string(),
  status: agentStatusSchema,
  enabled: z.boolean(),
  draining: z.boolean(),
  lastCheckinAt: z.string().nullable(),
  lastCheckinAgeSeconds: z.number().nullable(),
  cores: capacity,
  memoryMb: capacity,
  coresOverride: z.number().nullable(),
  memoryMbOverride: z.number().int().nullable(),
  diskFreeBytes: z.number().nullable(),
  load1: z.number().nullable(),
  dockerVersion: z.string().nullable(),
  /** The engine as the agent last reported it; null for agents that do not report it. */
  engine: engineHealthSchema.nullable(),
  version: z.string().nullable(),
  images: z.array(imagePullStateSchema),
  sessionCount: z.number().int(),
  createdAt: z.string(),
});
export type AgentView = z.infer<typeof agentViewSchema>;

export const agentUpdateSchema = z
  .object({
    name: nameSchema.optional(),
    zoneId: idSchema.optional(),
    enabled: z.boolean().optional(),
    draining: z.boolean().optional(),
    coresOverride: z.number().min(0.1).max(4096).nullable().optional(),
    memoryMbOverride: z.number().int().min(64).max(16_777_216).nullable().optional(),
  })
  .strict();
export type AgentUpdate = z.infer<typeof agentUpdateSchema>;

export const registrationTokenViewSchema = z.object({ token: z.string(), rotatedAt: z.string() });

// ---- Agent ⇄ server protocol ----

export const agentRegisterRequestSchema = z
  .object({
    token: z.string().min(1).max(256),
    name: nameSchema,
    zone: z.string().trim().max(128).optional(),
    url: z.string().url().max(2048),
    version: z.string().max(64),
    hostname: z.string().max(255).optional(),
  })
  .strict();
export type AgentRegisterRequest = z.infer<typeof agentRegisterRequestSchema>;

export const agentRegisterResponseSchema = z.object({
  agentId: z.string(),
  secret: z.string(),
  zoneId: z.string(),
  /** Ed25519 public key (SPKI PEM) that signs every grant the agent must honour. */
  grantPublicKey: z.string(),
});
export type AgentRegisterResponse = z.infer<typeof agentRegisterResponseSchema>;

export const containerStateSchema = z.enum([
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'dead',
  'removing',
]);
export type ContainerState = z.infer<typeof containerStateSchema>;

export const reportedSessionSchema = z.object({
  sessionId: z.string(),
  containerId: z.string(),
  state: containerStateSchema,
  hostPort: z.number().int().nullable(),
  exitCode: z.number().int().nullable().optional(),
  error: z.string().max(2000).nullable().optional(),
  /** Last time bytes flowed through the agent's gateway for this session. */
  lastActivityAt: z.string().nullable().optional(),
});
export type ReportedSession = z.infer<typeof reportedSessionSchema>;

export const agentResourcesSchema = z.object({
  cores: z.number().positive(),
  memoryBytes: z.number().nonnegative(),
  memoryFreeBytes: z.number().nonnegative(),
  diskFreeBytes: z.number().nonnegative().nullable(),
  load1: z.number().nonnegative(),
  dockerVersion: z.string().max(64),
  cpuUsedCores: z.number().nonnegative().optional(),
  memoryUsedBytes: z.number().nonnegative().optional(),
});
export type AgentResources = z.infer<typeof agentResourcesSchema>;

/**
 * Closes open streams of a session: one user's (a kick) or everyone's but the owner's (sharing
 * turned off). `POST /v1/sessions/:id/disconnect` with a `control` grant.
 */
export const agentDisconnectSchema = z.union([
  z
    .object({
      userId: z.string().min(1).max(64),
      /** Only the streams opened with this sign-in (the grant's `sin`): a sign-out. */
      signIn: z.string().min(1).max(64).optional(),
      /** All but the streams of this sign-in: a password change keeps the browser it came from. */
      exceptSignIn: z.string().min(1).max(64).optional(),
      /**
       * The user may come back, with what they have now: close with 4003 (not a kick's final
       * 4001), so the page reconnects and gets the new role, or learns it is signed out.
       */
      reconnect: z.enum(['role_changed', 'signed_out']).optional(),
    })
    .strict(),
  z.object({ allExceptOwner: z.literal(true) }).strict(),
]);
export type AgentDisconnect = z.infer<typeof agentDisconnectSchema>;

/**
 * A disconnect the server could not deliver when it happened (the agent did not answer): handed
 * over with the next check-in. Only streams whose grant was issued at or before `beforeMs` (server
 * time) are closed, so a stream opened after the change, with a grant that reflects it, stays.
 */
export const pendingDisconnectSchema = z.object({
  id: z.string().uuid(),
  sessionId: z.string().min(1).max(64),
  target: agentDisconnectSchema,
  beforeMs: z.number().int().nonnegative(),
});
export type PendingDisconnect = z.infer<typeof pendingDisconnectSchema>;

export const agentCheckinRequestSchema = z.object({
  version: z.string().max(64),
  resources: agentResourcesSchema,
  sessions: z.array(reportedSessionSchema).max(10_000),
  images: z.array(imagePullStateSchema).max(1000),
  engine: engineHealthSchema.optional(),
  /** Ids of pending disconnects the agent has carried out since its last check-in. */
  appliedDisconnects: z.array(z.string().uuid()).max(1000).optional(),
});
export type AgentCheckinRequest = z.infer<typeof agentCheckinRequestSchema>;

export const agentCheckinResponseSchema = z.object({
  /** Images the agent should hold (enabled workspaces it may run). */
  images: z.array(z.object({ ref: z.string() })),
  /** Sessions the server no longer knows: the agent removes their containers. */
  removeSessions: z.array(z.string()),
  /** Disconnects the agent missed (see pendingDisconnectSchema); absent from older servers. */
  disconnects: z.array(pendingDisconnectSchema).default([]),
  checkinIntervalSeconds: z.number().positive(),
  grantPublicKey: z.string(),
});
export type AgentCheckinResponse = z.infer<typeof agentCheckinResponseSchema>;

// Server → agent calls (each carries a grant signed by the server).
export const sessionRoleSchema = z.enum(['owner', 'collaborator', 'viewer']);
export type SessionRole = z.infer<typeof sessionRoleSchema>;

export const grantActionSchema = z.enum(['create', 'control', 'stream']);
export const grantPayloadSchema = z.object({
  /** Agent the grant is for. */
  aud: z.string(),
  /** Session the grant is for. */
  sid: z.string(),
  act: grantActionSchema,
  role: sessionRoleSchema.optional(),
  /** The user a stream grant is for, so the agent can cut that user's streams later (kick, revoke). */
  sub: z.string().optional(),
  /** When a stream grant was issued, ms since the epoch (server time): late disconnects compare it. */
  iatMs: z.number().int().optional(),
  /** The browser sign-in that opened the stream (not its token), so a sign-out closes its streams. */
  sin: z.string().max(64).optional(),
  /** Expiry, seconds since the epoch. */
  exp: z.number().int(),
});
export type GrantPayload = z.infer<typeof grantPayloadSchema>;

export const agentCreateSessionSchema = z
  .object({
    sessionId: z.string().min(1).max(64),
    ownerId: z.string().min(1).max(64),
    ownerName: z.string().max(254),
    image: z.object({ ref: z.string().min(1).max(255), name: z.string().min(1).max(64) }),
    cores: z.number().positive().max(4096),
    memoryBytes: z.number().int().positive(),
    shmBytes: z.number().int().nonnegative(),
    network: z.string().max(128).nullable().optional(),
    url: z.string().max(4096).nullable().optional(),
    environment: z.record(z.string(), z.string()).optional(),
    volumes: z
      .array(z.object({ source: z.string(), target: z.string(), readOnly: z.boolean().optional() }))
      .max(16)
      .optional(),
    readOnlyRootfs: z.boolean().optional(),
    pidsLimit: z.number().int().optional(),
  })
  .strict();
export type AgentCreateSession = z.infer<typeof agentCreateSessionSchema>;

export const agentSessionStateSchema = z.object({
  sessionId: z.string(),
  containerId: z.string(),
  state: containerStateSchema,
  hostPort: z.number().int().nullable(),
  readyMs: z.number().optional(),
});
export type AgentSessionState = z.infer<typeof agentSessionStateSchema>;

export const agentExecSchema = z
  .object({
    cmd: z.string().min(1).max(8192),
    environment: z.record(z.string(), z.string()).optional(),
    workdir: z.string().max(4096).optional(),
    user: z.string().max(64).optional(),
  })
  .strict();
export type AgentExec = z.infer<typeof agentExecSchema>;

export const agentDisconnectResultSchema = z.object({ closed: z.number().int().nonnegative() });
export type AgentDisconnectResult = z.infer<typeof agentDisconnectResultSchema>;
