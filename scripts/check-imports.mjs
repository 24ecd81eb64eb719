#!/usr/bin/env node
// Fails (exit 1) when a product file imports against the project's direction: across packages
// other than the allowed ones, into a package by relative path, a cycle between folders of one
// package, or the server's route → service → repository and leaf-folder rules. See
// docs/architecture.md ("Where things go") for the rules in prose.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { findViolations, importsOf } from './import-rules.mjs';

const root = new URL('..', import.meta.url).pathname;
const files = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', ':(glob)packages/*/src/**'],
  {
    cwd: root,
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => /\.(ts|tsx)$/.test(f) && existsSync(`${root}/${f}`));
const modules = files.map((file) => ({ file, imports: importsOf(readFileSync(`${root}/${file}`, 'utf8')) }));
const problems = findViolations(modules, (p) => existsSync(`${root}/${p}`));
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`check-imports: ${problems.length} import(s) against the direction in ${files.length} files`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, no import against the direction`);
