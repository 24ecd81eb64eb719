import type { AgentRow } from '../agents/agent-repo.js';
import type { SessionRow } from '../sessions/session-repo.js';

export const DESKTOP_IMAGE = 'porthole/desktop:latest';

/** An enabled agent in zone z1 that checked in at `last_checkin_at` and holds the desktop image. */
export function agentRow(over: Partial<AgentRow> & { id: string }): AgentRow {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    name: `host-${over.id}`,
    zone_id: 'z1',
    url: `http://${over.id}.test:8443`,
    secret_hash: Buffer.alloc(32),
    hostname: null,
    enabled: true,
    draining: false,
    cores_override: null,
    memory_mb_override: null,
    resources: {
      cores: 8,
      memoryBytes: 16 * 1024 ** 3,
      memoryFreeBytes: 8 * 1024 ** 3,
      diskFreeBytes: null,
      load1: 0,
      dockerVersion: '27.0',
    },
    images: [{ ref: DESKTOP_IMAGE, state: 'present' }],
    version: 'test',
    last_checkin_at: at,
    offline_since: null,
    created_at: at,
    ...over,
  };
}

/** A running session of user u1 (image i1) on agent a1 in zone z1, with container c1 and no share. */
export function sessionRow(over: Partial<SessionRow> & { id: string }): SessionRow {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    user_id: 'u1',
    image_id: 'i1',
    agent_id: 'a1',
    zone_id: 'z1',
    staging_id: null,
    state: 'running',
    state_reason: null,
    cores: 1,
    memory_mb: 1024,
    container_id: 'c1',
    url: null,
    environment: null,
    share_id: null,
    driver_key: null,
    created_at: at,
    updated_at: at,
    running_at: at,
    keepalive_at: at,
    expires_at: null,
    last_activity_at: null,
    ended_at: null,
    keepalive_seconds: 3600,
    keepalive_action: 'delete',
    staged_at: null,
    ...over,
  };
}
