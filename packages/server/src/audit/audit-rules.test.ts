import { describe, expect, it } from 'vitest';
import {
  diff,
  isSecretField,
  REDACTED,
  redact,
  redactDiff,
  SECRET_FIELD_NAMES,
  storable,
} from './audit-rules.js';

const spellings = (name: string) => [
  name,
  name.toUpperCase(),
  name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
  name.replace(/_/g, '-'),
];

describe('redact', () => {
  it('replaces every known secret field, however it is spelt and however deep it sits', () => {
    for (const name of SECRET_FIELD_NAMES) {
      for (const key of spellings(name)) {
        const input = { ok: 'visible', [key]: 'hunter2', nested: { list: [{ [key]: 'hunter2' }] } };
        const out = JSON.stringify(redact(input));
        expect(out, key).not.toContain('hunter2');
        expect(out).toContain('visible');
        expect(isSecretField(key)).toBe(true);
      }
    }
  });

  it('keeps ordinary fields, including the public api_key id, and turns bytes and dates into text', () => {
    expect(redact({ api_key: 'abc', username: 'u', at: new Date(0), hash: Buffer.from('x') })).toEqual({
      api_key: 'abc',
      username: 'u',
      at: '1970-01-01T00:00:00.000Z',
      hash: REDACTED,
    });
  });
});

describe('diff', () => {
  it('lists only the fields that changed, before → after', () => {
    expect(diff({ name: 'a', cores: 2, tags: ['x'] }, { name: 'b', cores: 2, tags: ['x'] })).toEqual({
      name: { before: 'a', after: 'b' },
    });
  });

  it('shows a create from null and a delete to null', () => {
    expect(diff(null, { name: 'a' })).toEqual({ name: { before: null, after: 'a' } });
    expect(diff({ name: 'a' }, null)).toEqual({ name: { before: 'a', after: null } });
  });

  it('says a secret changed without saying from or to what', () => {
    const d = diff({ passwordHash: 'old-hash' }, { passwordHash: 'new-hash' });
    expect(d).toEqual({ passwordHash: { before: REDACTED, after: REDACTED } });
    expect(diff({ token: 'same' }, { token: 'same' })).toEqual({});
  });

  it('compares arrays and objects by value and redacts inside them', () => {
    const d = diff({ settings: { a: 1 } }, { settings: { a: 2, secret: 's3cr3t' } });
    expect(JSON.stringify(d)).not.toContain('s3cr3t');
    expect(d.settings?.after).toEqual({ a: 2, secret: REDACTED });
  });
});

describe('redactDiff', () => {
  it('masks both sides of a secret field and keeps the shape; a missing side stays null', () => {
    expect(
      redactDiff({
        api_key_secret: { before: null, after: 'abc' },
        name: { before: 'a', after: { token: 't' } },
      }),
    ).toEqual({
      api_key_secret: { before: null, after: REDACTED },
      name: { before: 'a', after: { token: REDACTED } },
    });
  });
});

describe('storable text', () => {
  it('turns what Postgres refuses (NUL, lone surrogates) into U+FFFD and leaves the rest', () => {
    expect(storable('ok ünïcødé 🙂')).toBe('ok ünïcødé 🙂');
    expect(storable('a\u0000b')).toBe('a\uFFFDb');
    expect(storable('\ud800')).toBe('\uFFFD');
    expect(storable('x\udc00y')).toBe('x\uFFFDy');
    expect(JSON.stringify(redact({ username: '\ud800', 'k\u0000': 'v' }))).toBe(
      JSON.stringify({ username: '\uFFFD', 'k\uFFFD': 'v' }),
    );
  });
});
