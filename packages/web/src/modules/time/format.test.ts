import { describe, expect, it } from 'vitest';
import { formatAge, formatCores, formatCountdown, formatDuration, formatMemoryMb } from './format';

const now = Date.parse('2026-03-01T12:00:00Z');
const inSeconds = (s: number) => new Date(now + s * 1000).toISOString();

describe('session expiry countdown', () => {
  it('ticks mm:ss under an hour, with warn and danger tones near the end', () => {
    expect(formatCountdown(inSeconds(59 * 60 + 12), now)).toEqual({
      text: '59:12',
      tone: 'ok',
      seconds: 3552,
    });
    expect(formatCountdown(inSeconds(9 * 60 + 5), now)).toMatchObject({ text: '09:05', tone: 'warn' });
    expect(formatCountdown(inSeconds(119), now)).toMatchObject({ text: '01:59', tone: 'danger' });
    expect(formatCountdown(inSeconds(1), now)).toMatchObject({ text: '00:01', tone: 'danger' });
  });

  it('uses hours and days for long expiries', () => {
    expect(formatCountdown(inSeconds(3600), now).text).toBe('1h 00m');
    expect(formatCountdown(inSeconds(2 * 3600 + 5 * 60 + 59), now).text).toBe('2h 05m');
    expect(formatCountdown(inSeconds(3 * 86400 + 4 * 3600), now).text).toBe('3d 4h');
  });

  it('says expired at or after the deadline, and no expiry without one', () => {
    expect(formatCountdown(inSeconds(0), now)).toEqual({ text: 'Expired', tone: 'expired', seconds: 0 });
    expect(formatCountdown(inSeconds(-30), now).tone).toBe('expired');
    expect(formatCountdown(null, now)).toEqual({ text: 'No expiry', tone: 'none', seconds: null });
    expect(formatCountdown('not a date', now).tone).toBe('none');
  });
});

describe('other formats', () => {
  it('formats durations, ages, memory and cores', () => {
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(12 * 60 + 5)).toBe('12m 05s');
    expect(formatDuration(2 * 3600 + 5 * 60)).toBe('2h 05m');
    expect(formatAge(inSeconds(-5), now)).toBe('just now');
    expect(formatAge(inSeconds(-4 * 60), now)).toBe('4m ago');
    expect(formatAge(inSeconds(-(2 * 3600 + 5 * 60)), now)).toBe('2h 05m ago');
    expect(formatAge(null, now)).toBe('—');
    expect(formatMemoryMb(512)).toBe('512 MiB');
    expect(formatMemoryMb(2048)).toBe('2 GiB');
    expect(formatMemoryMb(1536)).toBe('1.5 GiB');
    expect(formatCores(1)).toBe('1 core');
    expect(formatCores(0.5)).toBe('0.5 cores');
    expect(formatCores(2)).toBe('2 cores');
  });
});
