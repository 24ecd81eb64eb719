import type { AgentRow } from '../agents/agent-repo.js';

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
