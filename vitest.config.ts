import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import sibling packages from source, so no build is needed before a test run.
const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));
const alias = {
  '@porthole/contracts': pkg('contracts'),
  '@porthole/stream': pkg('stream'),
  '@porthole/server': pkg('server'),
  '@porthole/agent': pkg('agent'),
  '@porthole/cli': pkg('cli'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    maxWorkers: 2,
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'packages/web/src/**/*.test.tsx', 'scripts/**/*.test.mjs'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          // Real Docker and real databases on a small shared machine: one retry absorbs a slow
          // start; a test that fails twice still fails the run.
          retry: 1,
          include: [
            'packages/*/src/**/*.itest.ts',
            'test/integration/**/*.itest.ts',
            'images/test/**/*.itest.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          retry: 1,
          include: ['test/e2e/**/*.e2e.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'reliability',
          retry: 1,
          include: ['test/reliability/**/*.rtest.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
