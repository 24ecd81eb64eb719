import { describe, expect, it } from 'vitest';
import { assertAllKnown, ConflictError, InvalidError } from '../errors.js';
import { assertAdministratorsRemain } from '../policies/administrators.js';
import { assertNotSelf, withAllUsers } from './user-rules.js';

describe('user rules', () => {
  it('always adds All Users, once', () => {
    expect(withAllUsers(['a', 'all'], 'all')).toEqual(['a', 'all']);
    expect(withAllUsers([], 'all')).toEqual(['all']);
    expect(withAllUsers(['a'], undefined)).toEqual(['a']);
  });

  it('stops admins acting on themselves', () => {
    expect(() => assertNotSelf('me', 'me', 'lock')).toThrowError(ConflictError);
    expect(() => assertNotSelf('me', 'you', 'delete')).not.toThrow();
  });

  it('keeps at least one administrator', () => {
    expect(() => assertAdministratorsRemain(new Set(['a']), ['a'])).toThrowError(/last administrator/);
    expect(() => assertAdministratorsRemain(new Set(['a', 'b']), ['a'])).not.toThrow();
    expect(() => assertAdministratorsRemain(new Set(['a', 'b']), ['a', 'b'])).toThrowError(ConflictError);
    expect(() => assertAdministratorsRemain(new Set(['a']), ['z'])).not.toThrow();
  });

  it('names the field holding an unknown id', () => {
    expect(() => assertAllKnown('groupIds', ['x', 'y'], new Set(['x']))).toThrowError(InvalidError);
    expect(() => assertAllKnown('groupIds', ['x', 'y'], new Set(['x']))).toThrowError(
      /^groupIds: no such id y$/,
    );
  });
});
