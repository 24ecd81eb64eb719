/** What placement knows of an agent: a snapshot taken inside the launch transaction. */
export interface PlacementAgent {
  id: string;
  name: string;
  zoneId: string;
  enabled: boolean;
  draining: boolean;
  online: boolean;
  /** The agent checks in but its container engine does not answer: it could start nothing. */
  engineReachable: boolean;
  coresTotal: number;
  memoryMbTotal: number;
  coresAllocated: number;
  memoryMbAllocated: number;
  /** Pull state of the requested image on this agent. */
  image: 'present' | 'pulling' | 'missing' | 'error';
}

export interface PlacementZone {
  id: string;
  name: string;
  searchAlternateZones: boolean;
}

export interface PlacementRequest {
  cores: number;
  memoryMb: number;
  imageRef: string;
  /** The zone to place in (requested, or the default). */
  zoneId: string;
  /** Image restricted to this zone: no alternates. */
  restrictZoneId?: string | null;
  /** Image restricted to this agent. */
  restrictAgentId?: string | null;
}

export type PlacementResult = { ok: true; agentId: string; zoneId: string } | { ok: false; reason: string };

function load(a: PlacementAgent, req: PlacementRequest): number {
  const cpu = (a.coresAllocated + req.cores) / a.coresTotal;
  const mem = (a.memoryMbAllocated + req.memoryMb) / a.memoryMbTotal;
  return Math.max(cpu, mem);
}

/** Why an agent cannot take the request, or null when it can. */
function unfit(a: PlacementAgent, req: PlacementRequest): string | null {
  if (!a.enabled) return 'disabled';
  if (a.draining) return 'draining';
  if (!a.online) return 'offline';
  if (!a.engineReachable) return 'Docker unreachable';
  if (req.restrictAgentId && a.id !== req.restrictAgentId) return 'not the agent the image is restricted to';
  if (a.image !== 'present')
    return `image ${req.imageRef} is ${a.image === 'pulling' ? 'still pulling' : a.image}`;
  const freeCores = a.coresTotal - a.coresAllocated;
  if (freeCores + 1e-9 < req.cores) return `${round(freeCores)} of ${req.cores} cores free`;
  const freeMem = a.memoryMbTotal - a.memoryMbAllocated;
  if (freeMem < req.memoryMb) return `${freeMem} of ${req.memoryMb} MB memory free`;
  return null;
}

const round = (n: number) => Math.max(0, Math.round(n * 100) / 100);

function pickIn(
  agents: PlacementAgent[],
  req: PlacementRequest,
): { agent?: PlacementAgent; reasons: string[] } {
  const reasons: string[] = [];
  let best: PlacementAgent | undefined;
  for (const a of agents) {
    const why = unfit(a, req);
    if (why) {
      reasons.push(`${a.name}: ${why}`);
      continue;
    }
    if (!best || load(a, req) < load(best, req) || (load(a, req) === load(best, req) && a.name < best.name))
      best = a;
  }
  return best ? { agent: best, reasons } : { reasons };
}

/**
 * Chooses the least-loaded agent that can run the request in its zone; other zones only when
 * the zone allows it and the image is not restricted to one. Pure: the caller holds the lock.
 */
export function place(
  req: PlacementRequest,
  agents: PlacementAgent[],
  zones: PlacementZone[],
): PlacementResult {
  const zoneId = req.restrictZoneId ?? req.zoneId;
  const zone = zones.find((z) => z.id === zoneId);
  const zoneName = zone?.name ?? zoneId;
  if (req.restrictZoneId && req.zoneId !== req.restrictZoneId) {
    const asked = zones.find((z) => z.id === req.zoneId)?.name ?? req.zoneId;
    return { ok: false, reason: `this workspace runs only in zone ${zoneName}, not ${asked}` };
  }
  const home = pickIn(
    agents.filter((a) => a.zoneId === zoneId),
    req,
  );
  if (home.agent) return { ok: true, agentId: home.agent.id, zoneId };
  const homeReason =
    home.reasons.length === 0
      ? `no agent in zone ${zoneName}`
      : `no agent in zone ${zoneName} can take ${req.cores} cores and ${req.memoryMb} MB (${home.reasons.join('; ')})`;
  if (req.restrictZoneId || !zone?.searchAlternateZones) return { ok: false, reason: homeReason };
  const away = pickIn(
    agents.filter((a) => a.zoneId !== zoneId),
    req,
  );
  if (away.agent) return { ok: true, agentId: away.agent.id, zoneId: away.agent.zoneId };
  return { ok: false, reason: `${homeReason}; no agent in other zones either` };
}
