import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sessionEnvironmentSchema } from './session-environment.js';

const body = z.object({ environment: sessionEnvironmentSchema.optional() });
const issues = (environment: unknown) => {
  const r = body.safeParse({ environment });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('sessionEnvironmentSchema', () => {
  it('accepts names a shell can read with any string value', () => {
    expect(issues({ FOO: 'bar baz', _x1: '', LANG: 'C.UTF-8' })).toEqual([]);
  });

  it('names the offending variable', () => {
    expect(issues({ '1BAD': 'x' })[0]).toMatch(/^environment\.1BAD: must be an environment variable name/);
    expect(issues({ 'A-B': 'x' })[0]).toMatch(/^environment\.A-B: /);
    expect(issues({ A: 5 })).toEqual(['environment.A: must be a string']);
    expect(issues({ A: 'x'.repeat(4097) })).toEqual(['environment.A: must be at most 4096 characters']);
  });

  it('limits how many variables one session gets', () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, 'x']));
    expect(issues(many)).toEqual(['environment: must hold at most 64 variables']);
    expect(issues(Object.fromEntries(Object.entries(many).slice(0, 64)))).toEqual([]);
  });
});
