#!/usr/bin/env node
// Fails (exit 1) when a product file imports against the project's direction: across packages
// other than the allowed ones, into a package by relative path, a cycle between folders of one
// package, or the server's route → service → repository and leaf-folder rules. See
// docs/architecture.md ("Where things go") for the rules in prose; import-rules.mjs holds them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findViolations, importsOf } from './import-rules.mjs';

/** The problems of the working tree at `root` (tracked and untracked, not ignored, source files). */
export function checkRepository(root) {
  const files = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', ':(glob)packages/*/src/**'],
    { cwd: root, encoding: 'utf8' },
  )
    .split('\n')
    .filter((f) => /\.(ts|tsx)$/.test(f) && existsSync(`${root}/${f}`));
  const modules = files.map((file) => ({
    file,
    imports: importsOf(readFileSync(`${root}/${file}`, 'utf8')),
  }));
  return { files: files.length, problems: findViolations(modules, (p) => existsSync(`${root}/${p}`)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, problems } = checkRepository(fileURLToPath(new URL('..', import.meta.url)));
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    console.error(`check-imports: ${problems.length} import(s) against the direction in ${files} files`);
    process.exit(1);
  }
  console.log(`check-imports: ${files} files, no import against the direction`);
}
