import { describe, expect, it } from 'vitest';
import { buildPlan, isImageName, repositoryOf } from './catalogue.js';

const names = (levels: ReturnType<typeof buildPlan>) => levels.map((level) => level.map((s) => s.name));

describe('buildPlan', () => {
  it('builds everything by default, parents first, siblings side by side', () => {
    expect(names(buildPlan())).toEqual([['desktop'], ['desktop-deluxe', 'firefox']]);
  });

  it('brings the parent along with a child', () => {
    expect(names(buildPlan(['firefox']))).toEqual([['desktop'], ['firefox']]);
  });

  it('does not repeat images', () => {
    expect(names(buildPlan(['desktop', 'firefox', 'desktop']))).toEqual([['desktop'], ['firefox']]);
  });
});

describe('catalogue', () => {
  it('knows its names', () => {
    expect(isImageName('desktop-deluxe')).toBe(true);
    expect(isImageName('chrome')).toBe(false);
  });

  it('names repositories under a namespace', () => {
    expect(repositoryOf('firefox')).toBe('porthole/firefox');
    expect(repositoryOf('firefox', 'test-ns')).toBe('test-ns/firefox');
  });
});
