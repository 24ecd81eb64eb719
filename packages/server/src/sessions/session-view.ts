import type { SessionState, SessionView } from '@porthole/contracts';
import type { SessionListRow } from './session-repo.js';

export function toSessionView(r: SessionListRow): SessionView {
  const keepaliveDeadline =
    r.user_id && r.state === 'running'
      ? new Date((r.keepalive_at as Date).getTime() + r.keepalive_seconds * 1000)
      : null;
  const limits = [keepaliveDeadline, r.expires_at].filter((d): d is Date => d !== null);
  const expiresAt = limits.length > 0 ? new Date(Math.min(...limits.map((d) => d.getTime()))) : null;
  return {
    id: r.id,
    userId: r.user_id,
    username: r.username,
    imageId: r.image_id,
    imageName: r.image_name,
    imageFriendlyName: r.image_friendly_name,
    agentId: r.agent_id,
    agentName: r.agent_name,
    zoneId: r.zone_id,
    state: r.state as SessionState,
    stateReason: r.state_reason,
    staged: r.user_id === null && r.staging_id !== null,
    cores: r.cores,
    memoryMb: r.memory_mb,
    createdAt: (r.created_at as Date).toISOString(),
    updatedAt: (r.updated_at as Date).toISOString(),
    runningAt: r.running_at?.toISOString() ?? null,
    keepaliveAt: (r.keepalive_at as Date).toISOString(),
    expiresAt: expiresAt?.toISOString() ?? null,
    lastActivityAt: r.last_activity_at?.toISOString() ?? null,
    shareId: r.share_id,
    streamPath: `/session/${r.id}/`,
  };
}
