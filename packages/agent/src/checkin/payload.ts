import type {
  AgentCheckinRequest,
  AgentResources,
  EngineHealth,
  ImagePullState,
  ReportedSession,
} from '@porthole/contracts';

const MAX_SESSIONS = 10_000;
const MAX_IMAGES = 1000;
const MAX_APPLIED = 1000;

/** Assembles the check-in body within the contract's bounds (a report the server rejects helps nobody). */
export function buildCheckinRequest(input: {
  version: string;
  resources: AgentResources;
  sessions: readonly ReportedSession[];
  images: readonly ImagePullState[];
  engine?: EngineHealth;
  appliedDisconnects?: readonly string[];
}): AgentCheckinRequest {
  const sessions = [...input.sessions]
    .sort((a, b) => a.sessionId.localeCompare(b.sessionId))
    .slice(0, MAX_SESSIONS)
    .map((s) => ({
      ...s,
      hostPort: s.state === 'running' || s.state === 'paused' ? s.hostPort : null,
      error: s.error ? s.error.slice(0, 2000) : (s.error ?? null),
    }));
  const images = input.images.slice(0, MAX_IMAGES).map((i) => ({
    ...i,
    ...(i.message !== undefined ? { message: i.message.slice(0, 2000) } : {}),
  }));
  const applied = input.appliedDisconnects?.slice(0, MAX_APPLIED) ?? [];
  return {
    version: input.version.slice(0, 64),
    resources: input.resources,
    sessions,
    images,
    ...(input.engine
      ? {
          engine: {
            ...input.engine,
            ...(input.engine.error !== undefined ? { error: input.engine.error.slice(0, 2000) } : {}),
            ...(input.engine.version !== undefined ? { version: input.engine.version.slice(0, 64) } : {}),
          },
        }
      : {}),
    ...(applied.length > 0 ? { appliedDisconnects: applied } : {}),
  };
}
