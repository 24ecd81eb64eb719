import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { MemoryBus } from './memory-bus.js';

describe('MemoryBus.hit', () => {
  it('allows max hits per window, then says how long to wait, then opens a new window', async () => {
    const clock = new ManualClock();
    const bus = new MemoryBus(clock);
    for (let i = 0; i < 10; i++) expect(await bus.hit('k', 10, 10_000)).toBe(0);
    expect(await bus.hit('k', 10, 10_000)).toBe(10);
    clock.advance(7_500);
    expect(await bus.hit('k', 10, 10_000)).toBe(3);
    // Other keys have budgets of their own.
    expect(await bus.hit('other', 10, 10_000)).toBe(0);
    clock.advance(2_500);
    expect(await bus.hit('k', 10, 10_000)).toBe(0);
  });
});
