import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('grows from 1 s to 30 s and stays there', () => {
    const backoff = new Backoff(1_000, 30_000, () => 1);
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoff.failures).toBe(8);
  });

  it('jitters within the upper half of each step', () => {
    const low = new Backoff(1_000, 30_000, () => 0);
    expect([low.next(), low.next(), low.next()]).toEqual([500, 1_000, 2_000]);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff(1_000, 30_000, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(1_000);
    expect(backoff.failures).toBe(1);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new Backoff(0, 10)).toThrow();
    expect(() => new Backoff(100, 10)).toThrow();
  });
});
