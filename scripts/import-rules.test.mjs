import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkRepository } from './check-imports.mjs';
import { findViolations, importsOf } from './import-rules.mjs';

/** A tree of files (path → import specifiers) as the check would read it. */
function check(tree) {
  const files = new Set(Object.keys(tree));
  const modules = Object.entries(tree).map(([file, imports]) => ({ file, imports }));
  return findViolations(modules, (p) => files.has(p));
}

describe('import rules', () => {
  it('passes a tree that follows the direction', () => {
    expect(
      check({
        'packages/server/src/app/services.ts': ['../users/user-service.js', '../db/database.js'],
        'packages/server/src/users/user-service.ts': [
          './user-repo.js',
          '../errors.js',
          '@porthole/contracts',
        ],
        'packages/server/src/users/user-repo.ts': ['../db/database.js'],
        'packages/server/src/db/database.ts': ['../platform/clock.js'],
        'packages/server/src/platform/clock.ts': [],
        'packages/server/src/errors.ts': [],
      }),
    ).toEqual([]);
  });

  it('finds a cycle between two folders of a package and names the files', () => {
    const problems = check({
      'packages/server/src/agents/agent-service.ts': ['../sessions/session-repo.js'],
      'packages/server/src/sessions/session-repo.ts': ['../agents/agent-repo.js'],
      'packages/server/src/agents/agent-repo.ts': [],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/cycle: agents, sessions/);
    expect(problems[0]).toContain('packages/server/src/agents/agent-service.ts');
  });

  it('refuses packages a package may not use, and relative paths into another package', () => {
    const problems = check({
      'packages/contracts/src/a.ts': ['@porthole/server'],
      'packages/agent/src/b.ts': ['../../server/src/agents/grant-signer.js'],
      'packages/server/src/agents/grant-signer.ts': [],
      'packages/web/src/c.ts': ['@porthole/stream'],
    });
    expect(problems).toEqual([
      'packages/contracts/src/a.ts: contracts may not import @porthole/server',
      "packages/agent/src/b.ts: imports ../../server/src/agents/grant-signer.js across a package boundary (use the package's name)",
      'packages/web/src/c.ts: web may not import @porthole/stream',
    ]);
  });

  it('keeps the server layered: leaves, the composition root, routes, repositories', () => {
    const problems = check({
      'packages/server/src/http/parse.ts': ['../users/user-rules.js'],
      'packages/server/src/users/user-rules.ts': [],
      'packages/server/src/users/user-service.ts': ['../app/services.js', './user-routes.js'],
      'packages/server/src/app/services.ts': [],
      'packages/server/src/users/user-routes.ts': [],
      'packages/server/src/users/user-repo.ts': ['./user-service.js'],
      'packages/server/src/openapi/docs.ts': ['../users/user-routes.js'],
    });
    expect(problems).toEqual([
      'packages/server/src/http/parse.ts: http/ is a leaf and may not import the resource folder users/',
      'packages/server/src/users/user-service.ts: only the entry point imports app/ (the composition root), not users/',
      'packages/server/src/users/user-service.ts: a service may not import user-routes.ts (route → service → repository)',
      'packages/server/src/users/user-repo.ts: a repository may not import user-service.ts (route → service → repository)',
      'packages/server/src/openapi/docs.ts: routes are registered by app/route-table.ts only, not imported by openapi/',
    ]);
  });

  it('leaves tests and test kits alone', () => {
    expect(
      check({
        'packages/agent/src/agent.test.ts': ['../../server/src/x.js'],
        'packages/agent/src/testkit/fake.ts': ['@porthole/server'],
        'packages/server/src/x.ts': [],
      }),
    ).toEqual([]);
  });

  it('reads static, type-only, re-exported, side-effect and dynamic imports', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "import './side.css';",
      "const d = await import('./d.js');",
      "import {\n  e,\n  f,\n} from '@porthole/contracts';",
    ].join('\n');
    expect(importsOf(source)).toEqual([
      './a.js',
      '../b.js',
      './c.js',
      './side.css',
      './d.js',
      '@porthole/contracts',
    ]);
  });
});

describe('this repository', () => {
  it('follows the import rules (the same check `npm run check` runs)', () => {
    const { files, problems } = checkRepository(fileURLToPath(new URL('..', import.meta.url)));
    expect(files).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });
});
