import { z } from 'zod';
import { idSchema } from './common.js';

export const sessionStateSchema = z.enum([
  'requested',
  'provisioning',
  'starting',
  'running',
  'pausing',
  'paused',
  'resuming',
  'stopping',
  'stopped',
  'deleting',
  'deleted',
  'error',
  'lost',
]);
export type SessionState = z.infer<typeof sessionStateSchema>;

/** States in which a session still holds resources on its agent. */
export const liveSessionStates: readonly SessionState[] = [
  'requested',
  'provisioning',
  'starting',
  'running',
  'pausing',
  'paused',
  'resuming',
  'stopping',
  'stopped',
  'lost',
];

/** A launch on its way: the provisioner (or recovery after a restart) drives these. */
export const startingSessionStates: readonly SessionState[] = ['requested', 'provisioning', 'starting'];

/** States a request flow is driving right now: agent check-ins leave them alone. */
export const inFlightSessionStates: readonly SessionState[] = [
  ...startingSessionStates,
  'pausing',
  'resuming',
  'stopping',
  'deleting',
];

/** Settled states, in which the agent's report of the container is the truth. */
export const settledSessionStates: readonly SessionState[] = ['running', 'paused', 'stopped', 'lost'];

/** States that end when the agent goes away: its sessions are `lost` until it checks in again. */
export const losableSessionStates: readonly SessionState[] = ['running', 'paused', 'stopped'];

export type SessionAction = 'pause' | 'resume' | 'stop';

/** What the owner may do to a session, from which states, through which step, to which state. */
export const sessionActions: Readonly<
  Record<SessionAction, { from: readonly SessionState[]; via: SessionState; to: SessionState }>
> = {
  pause: { from: ['running'], via: 'pausing', to: 'paused' },
  resume: { from: ['paused', 'stopped'], via: 'resuming', to: 'running' },
  stop: { from: ['running', 'paused'], via: 'stopping', to: 'stopped' },
};

export const sessionViewSchema = z.object({
  id: z.string(),
  userId: z.string().nullable(),
  username: z.string().nullable(),
  imageId: z.string(),
  imageName: z.string(),
  imageFriendlyName: z.string(),
  agentId: z.string().nullable(),
  agentName: z.string().nullable(),
  zoneId: z.string().nullable(),
  state: sessionStateSchema,
  stateReason: z.string().nullable(),
  staged: z.boolean(),
  cores: z.number(),
  memoryMb: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  runningAt: z.string().nullable(),
  keepaliveAt: z.string(),
  expiresAt: z.string().nullable(),
  lastActivityAt: z.string().nullable(),
  shareId: z.string().nullable(),
  /** Where the browser streams from: `/session/<id>/`. */
  streamPath: z.string(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

export const sessionCreateSchema = z
  .object({
    imageId: idSchema,
    zoneId: idSchema.optional(),
    url: z.string().url().max(4096).optional(),
  })
  .strict();
export type SessionCreate = z.infer<typeof sessionCreateSchema>;

export const sessionEventSchema = z.object({
  state: sessionStateSchema,
  reason: z.string().nullable(),
  at: z.string(),
});
export type SessionEvent = z.infer<typeof sessionEventSchema>;

// Staging: standby sessions kept started per zone × workspace.
export const stagingViewSchema = z.object({
  id: z.string(),
  zoneId: z.string(),
  imageId: z.string(),
  desiredCount: z.number().int(),
  expirationSeconds: z.number().int(),
  readyCount: z.number().int(),
  startingCount: z.number().int(),
  createdAt: z.string(),
});
export type StagingView = z.infer<typeof stagingViewSchema>;
export const stagingCreateSchema = z
  .object({
    zoneId: idSchema,
    imageId: idSchema,
    desiredCount: z.number().int().min(0).max(1000),
    expirationSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 24 * 3600)
      .optional(),
  })
  .strict();
export const stagingUpdateSchema = stagingCreateSchema.partial().strict();
export type StagingCreate = z.infer<typeof stagingCreateSchema>;
export type StagingUpdate = z.infer<typeof stagingUpdateSchema>;
