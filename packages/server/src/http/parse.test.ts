import { loginRequestSchema } from '@porthole/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidError } from '../errors.js';
import { type FieldIssue, parse } from './parse.js';

function invalid(run: () => unknown): InvalidError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidError);
    return err as InvalidError;
  }
  throw new Error('expected an InvalidError');
}

const issues = (err: InvalidError) => (err.details as { issues: FieldIssue[] }).issues;

describe('parse', () => {
  it('returns the parsed value, with the schema transforms applied', () => {
    expect(parse(loginRequestSchema, { username: '  a@b.c ', password: 'pw' })).toEqual({
      username: 'a@b.c',
      password: 'pw',
    });
  });

  it('names the missing field in the message and in the details', () => {
    const err = invalid(() => parse(loginRequestSchema, { username: 'a@b.c' }));
    expect(err.code).toBe('invalid');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^password: /);
    expect(issues(err)).toEqual([{ field: 'password', message: expect.any(String) }]);
  });

  it('lists every failing field, first one in the message', () => {
    const err = invalid(() => parse(loginRequestSchema, { username: '', password: 7 }));
    expect(issues(err).map((i) => i.field)).toEqual(['username', 'password']);
    expect(err.message).toBe('username: username is required');
  });

  it('joins nested paths with dots', () => {
    const schema = z.object({ limits: z.object({ items: z.array(z.number()) }) });
    const err = invalid(() => parse(schema, { limits: { items: [1, 'two'] } }));
    expect(issues(err)[0]?.field).toBe('limits.items.1');
    expect(err.message).toMatch(/^limits\.items\.1: /);
  });

  it('treats a missing body as an empty object', () => {
    const optional = z.object({ note: z.string().optional() });
    expect(parse(optional, undefined)).toEqual({});
    expect(parse(optional, null)).toEqual({});
    const err = invalid(() => parse(loginRequestSchema, undefined));
    expect(issues(err).map((i) => i.field)).toEqual(['username', 'password']);
  });

  it('names the request part when the value itself is wrong', () => {
    const err = invalid(() => parse(z.string().uuid(), 'not-a-uuid', 'id'));
    expect(issues(err)).toEqual([{ field: 'id', message: expect.any(String) }]);
    expect(err.message).toMatch(/^id: /);
    const body = invalid(() => parse(loginRequestSchema, 'a string body'));
    expect(issues(body)[0]?.field).toBe('body');
  });

  it('refuses NUL characters anywhere (PostgreSQL cannot store them), naming the field', () => {
    const schema = z.object({ name: z.string(), tags: z.record(z.string(), z.string()).optional() });
    const inValue = invalid(() => parse(schema, { name: 'a\u0000b' }));
    expect(issues(inValue)).toEqual([{ field: 'name', message: expect.stringContaining('NUL') }]);
    const inKey = invalid(() => parse(schema, { name: 'ok', tags: { 'k\u0000': 'v' } }));
    expect(inKey.message.startsWith('tags.k\u0000: ')).toBe(true);
    const whole = invalid(() => parse(z.string(), '\u0000', 'id'));
    expect(issues(whole)[0]?.field).toBe('id');
  });

  it('refuses input nested deeper than any API body', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i += 1) deep = { a: deep };
    const err = invalid(() => parse(z.object({}), deep));
    expect(err.message).toMatch(/nested more than 64 levels deep/);
  });
});
