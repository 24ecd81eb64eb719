import { describe, expect, it } from 'vitest';
import { dependencyOrder } from './backup-rules.js';

describe('dependencyOrder', () => {
  it('puts every table after the tables it references, ties by name', () => {
    const order = dependencyOrder(
      ['sessions', 'users', 'images', 'zones', 'group_members', 'groups'],
      [
        { child: 'sessions', parent: 'users' },
        { child: 'sessions', parent: 'images' },
        { child: 'images', parent: 'zones' },
        { child: 'group_members', parent: 'groups' },
        { child: 'group_members', parent: 'users' },
      ],
    );
    expect(order).toEqual(['groups', 'users', 'zones', 'group_members', 'images', 'sessions']);
  });

  it('ignores self-references and references to tables outside the set', () => {
    expect(
      dependencyOrder(
        ['b', 'a'],
        [
          { child: 'a', parent: 'a' },
          { child: 'b', parent: 'elsewhere' },
        ],
      ),
    ).toEqual(['a', 'b']);
  });

  it('refuses a cycle, naming the tables in it', () => {
    expect(() =>
      dependencyOrder(
        ['a', 'b', 'c'],
        [
          { child: 'a', parent: 'b' },
          { child: 'b', parent: 'a' },
        ],
      ),
    ).toThrow('foreign keys form a cycle between a, b');
  });
});
