import type { AgentStatus, AgentView } from '@porthole/contracts';
import type { AgentAllocation, AgentRow } from './agent-repo.js';

const MIB = 1024 * 1024;

/** Offline once three check-ins are missed (or the manager has marked it so). */
export function agentStatus(a: AgentRow, now: Date, checkinSeconds: number): AgentStatus {
  if (!a.enabled) return 'disabled';
  if (!isOnline(a, now, checkinSeconds)) return 'offline';
  if (a.draining) return 'draining';
  return 'online';
}

export function isOnline(a: AgentRow, now: Date, checkinSeconds: number): boolean {
  if (a.offline_since || !a.last_checkin_at) return false;
  return now.getTime() - a.last_checkin_at.getTime() <= 3 * checkinSeconds * 1000;
}

/** An agent that never reported its engine (an older one) counts as reachable, as it did before. */
export function engineReachable(a: AgentRow): boolean {
  return a.resources?.engine?.reachable !== false;
}

export function agentCapacity(a: AgentRow): { cores: number; memoryMb: number } {
  return {
    cores: a.cores_override ?? a.resources?.cores ?? 0,
    memoryMb: a.memory_mb_override ?? Math.floor((a.resources?.memoryBytes ?? 0) / MIB),
  };
}

export function toAgentView(
  a: AgentRow,
  alloc: AgentAllocation | undefined,
  now: Date,
  checkinSeconds: number,
): AgentView {
  const cap = agentCapacity(a);
  const r = a.resources;
  const memUsedBytes = r ? (r.memoryUsedBytes ?? r.memoryBytes - r.memoryFreeBytes) : 0;
  return {
    id: a.id,
    name: a.name,
    zoneId: a.zone_id,
    url: a.url,
    status: agentStatus(a, now, checkinSeconds),
    enabled: a.enabled,
    draining: a.draining,
    lastCheckinAt: a.last_checkin_at?.toISOString() ?? null,
    lastCheckinAgeSeconds: a.last_checkin_at
      ? Math.max(0, Math.round((now.getTime() - a.last_checkin_at.getTime()) / 1000))
      : null,
    cores: { total: cap.cores, allocated: alloc?.cores ?? 0, used: r?.cpuUsedCores ?? r?.load1 ?? 0 },
    memoryMb: { total: cap.memoryMb, allocated: alloc?.memory_mb ?? 0, used: Math.round(memUsedBytes / MIB) },
    coresOverride: a.cores_override,
    memoryMbOverride: a.memory_mb_override,
    diskFreeBytes: r?.diskFreeBytes ?? null,
    load1: r?.load1 ?? null,
    dockerVersion: r?.dockerVersion ?? null,
    engine: r?.engine ?? null,
    version: a.version,
    images: a.images,
    sessionCount: alloc?.sessions ?? 0,
    createdAt: a.created_at.toISOString(),
  };
}
