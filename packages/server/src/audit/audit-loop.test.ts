import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { AuditPurgeLoop } from './audit-loop.js';

describe('AuditPurgeLoop', () => {
  it('purges on its first tick, then once a day whatever the tick rate', async () => {
    const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    const service = { purge: vi.fn(async () => 3) };
    const loop = new AuditPurgeLoop({ service, clock });
    expect(await loop.tick()).toBe(3);
    clock.advance(23 * 3600_000);
    expect(await loop.tick()).toBe(0);
    clock.advance(3600_000);
    expect(await loop.tick()).toBe(3);
    expect(service.purge).toHaveBeenCalledTimes(2);
  });
});
