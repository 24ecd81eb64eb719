import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { AttemptLimiter } from './attempt-limiter.js';

const rule = { max: 3, windowMs: 60_000 };

function setup() {
  const clock = new ManualClock();
  return { clock, limiter: new AttemptLimiter(rule, clock) };
}

describe('AttemptLimiter', () => {
  it('allows max attempts in a window and then asks to wait until the window ends', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < rule.max; i++) {
      expect(limiter.retryAfter('k')).toBe(0);
      limiter.record('k');
    }
    expect(limiter.retryAfter('k')).toBe(60);
    clock.advance(15_500);
    expect(limiter.retryAfter('k')).toBe(45); // 44.5 s left, rounded up
  });

  it('counts the window from the first attempt, not the last', () => {
    const { clock, limiter } = setup();
    limiter.record('k');
    clock.advance(50_000);
    limiter.record('k');
    limiter.record('k');
    expect(limiter.retryAfter('k')).toBe(10);
    clock.advance(10_000);
    expect(limiter.retryAfter('k')).toBe(0);
  });

  it('starts a fresh window once the old one has passed', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < rule.max; i++) limiter.record('k');
    clock.advance(rule.windowMs);
    expect(limiter.retryAfter('k')).toBe(0);
    limiter.record('k');
    limiter.record('k');
    expect(limiter.retryAfter('k')).toBe(0);
    limiter.record('k');
    expect(limiter.retryAfter('k')).toBe(60);
  });

  it('never answers less than one second while still blocked', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < rule.max; i++) limiter.record('k');
    clock.advance(rule.windowMs - 1);
    expect(limiter.retryAfter('k')).toBe(1);
  });

  it('keeps keys apart', () => {
    const { limiter } = setup();
    for (let i = 0; i < rule.max; i++) limiter.record('a');
    expect(limiter.retryAfter('a')).toBeGreaterThan(0);
    expect(limiter.retryAfter('b')).toBe(0);
  });

  it('forgets a key on reset', () => {
    const { limiter } = setup();
    for (let i = 0; i < rule.max; i++) limiter.record('k');
    limiter.reset('k');
    expect(limiter.retryAfter('k')).toBe(0);
  });

  it('prunes expired windows when many keys accumulate, without losing live ones', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < rule.max; i++) limiter.record('live');
    clock.advance(rule.windowMs - 5_000);
    for (let i = 0; i < 50_001; i++) limiter.record(`old-${i}`);
    clock.advance(5_000);
    // 'live' has expired now; 'old-*' are 5 s old. Pruning must keep the latter blocked.
    for (let i = 0; i < rule.max - 1; i++) limiter.record('old-7');
    expect(limiter.retryAfter('old-7')).toBe(55);
    expect(limiter.retryAfter('live')).toBe(0);
  });
});
