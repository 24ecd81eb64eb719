import { describe, expect, it } from 'vitest';
import { type PlacementAgent, type PlacementZone, place } from './placement.js';

const zones: PlacementZone[] = [
  { id: 'z1', name: 'east', searchAlternateZones: true },
  { id: 'z2', name: 'west', searchAlternateZones: false },
];

function agent(id: string, over: Partial<PlacementAgent> = {}): PlacementAgent {
  return {
    id,
    name: id,
    zoneId: 'z1',
    enabled: true,
    draining: false,
    online: true,
    engineReachable: true,
    coresTotal: 8,
    memoryMbTotal: 16_384,
    coresAllocated: 0,
    memoryMbAllocated: 0,
    image: 'present',
    ...over,
  };
}

const req = { cores: 2, memoryMb: 2048, imageRef: 'porthole/firefox:latest', zoneId: 'z1' };

describe('place', () => {
  it('picks the least loaded agent that fits', () => {
    const r = place(req, [agent('a', { coresAllocated: 4 }), agent('b', { coresAllocated: 2 })], zones);
    expect(r).toEqual({ ok: true, agentId: 'b', zoneId: 'z1' });
  });

  it('counts memory as well as cores when comparing load', () => {
    const r = place(
      req,
      [agent('a', { coresAllocated: 1, memoryMbAllocated: 12_000 }), agent('b', { coresAllocated: 3 })],
      zones,
    );
    expect(r.ok && r.agentId).toBe('b');
  });

  it('skips disabled, draining, offline agents and those without the image', () => {
    const r = place(
      req,
      [
        agent('a', { enabled: false }),
        agent('b', { draining: true }),
        agent('c', { online: false }),
        agent('d', { image: 'pulling' }),
      ],
      zones,
    );
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/a: disabled; b: draining; c: offline; d: image .* still pulling/);
  });

  it('skips an agent that checks in but whose Docker Engine does not answer', () => {
    const down = agent('a', { engineReachable: false });
    const r = place(req, [down, agent('b', { coresAllocated: 6 })], zones);
    expect(r).toEqual({ ok: true, agentId: 'b', zoneId: 'z1' });
    const none = place(req, [down], zones);
    expect(none.ok).toBe(false);
    expect(none.ok ? '' : none.reason).toMatch(/a: Docker unreachable/);
  });

  it('explains a lack of capacity in numbers', () => {
    const r = place(req, [agent('a', { coresAllocated: 7 })], zones);
    expect(r).toEqual({
      ok: false,
      reason:
        'no agent in zone east can take 2 cores and 2048 MB (a: 1 of 2 cores free); no agent in other zones either',
    });
  });

  it('fits exactly at the limit and not beyond', () => {
    expect(place(req, [agent('a', { coresAllocated: 6, memoryMbAllocated: 14_336 })], zones).ok).toBe(true);
    expect(place(req, [agent('a', { coresAllocated: 6, memoryMbAllocated: 14_337 })], zones).ok).toBe(false);
  });

  it('falls back to another zone only when the zone allows it', () => {
    const agents = [agent('full', { coresAllocated: 8 }), agent('w', { zoneId: 'z2' })];
    expect(place(req, agents, zones)).toEqual({ ok: true, agentId: 'w', zoneId: 'z2' });
    const fromWest = place(
      { ...req, zoneId: 'z2' },
      [agent('w', { zoneId: 'z2', coresAllocated: 8 }), agent('e')],
      zones,
    );
    expect(fromWest.ok).toBe(false);
  });

  it('honours zone and agent restrictions of the image', () => {
    const agents = [agent('e'), agent('w', { zoneId: 'z2' })];
    expect(place({ ...req, zoneId: 'z2', restrictZoneId: 'z2' }, agents, zones)).toEqual({
      ok: true,
      agentId: 'w',
      zoneId: 'z2',
    });
    const wrongZone = place({ ...req, zoneId: 'z1', restrictZoneId: 'z2' }, agents, zones);
    expect(wrongZone.ok ? '' : wrongZone.reason).toContain('only in zone west');
    const pinned = place({ ...req, restrictAgentId: 'e2' }, [agent('e'), agent('e2')], zones);
    expect(pinned.ok && pinned.agentId).toBe('e2');
  });

  it('says so when a zone has no agents', () => {
    const r = place({ ...req, zoneId: 'z2' }, [], zones);
    expect(r).toEqual({ ok: false, reason: 'no agent in zone west' });
  });
});
