// The import-direction rules `npm run check` enforces (scripts/check-imports.mjs reads the files).
// Pure functions over { file, imports } so the rules have unit tests (import-rules.test.ts).
import path from 'node:path';

/** Which workspace packages each package may import (by name or by a relative path into it). */
export const PACKAGE_DEPS = {
  contracts: [],
  stream: ['contracts'],
  server: ['contracts', 'stream'],
  agent: ['contracts', 'stream'],
  web: ['contracts'],
  cli: ['contracts', 'stream', 'server', 'agent'],
};

/**
 * Server folders everything else builds on. They import only each other (policies may read the
 * caller type in http/), never a resource folder, so a resource can use them without a cycle.
 */
export const SERVER_LEAVES = new Set([
  'db',
  'platform',
  'http',
  'events',
  'policies',
  'errors.ts',
  'config.ts',
  'version.ts',
]);

/** Test files and test helpers may reach anywhere; the rules are about product code. */
export function isProductFile(rel) {
  return !/\.(test|itest|e2e|rtest)\.tsx?$/.test(rel) && !/(^|\/)(testkit|test)\//.test(rel);
}

/** `packages/<pkg>/src/<folder>/…` → { pkg, folder } (folder is the file name for files at src/). */
export function locate(file) {
  const m = /^packages\/([^/]+)\/src\/(.+)$/.exec(file);
  if (!m) return null;
  const [pkg, rest] = [m[1], m[2]];
  return { pkg, folder: rest.split('/')[0], rest };
}

/** Resolves a relative specifier of `from` to a repository path with .ts/.tsx, or null if external. */
export function resolveRelative(from, spec, exists) {
  if (!spec.startsWith('.')) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const stem = base.replace(/\.(js|jsx|ts|tsx|mjs)$/, '');
  for (const c of [`${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`, `${stem}/index.tsx`, base])
    if (exists(c)) return c;
  return base;
}

function cycles(graph) {
  // Tarjan's strongly connected components; each component of more than one folder is a cycle.
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * `modules`: [{ file, imports: [specifier…] }] with repository-relative paths. Returns one line
 * per broken rule.
 */
export function findViolations(modules, exists) {
  const problems = [];
  const graphs = new Map();
  const edge = (pkg, a, b, file) => {
    const g = graphs.get(pkg) ?? new Map();
    graphs.set(pkg, g);
    if (!g.has(a)) g.set(a, new Set());
    g.get(a).add(b);
    const key = `${pkg}:${a}->${b}`;
    if (!edge.seen.has(key)) edge.seen.set(key, file);
  };
  edge.seen = new Map();
  for (const { file, imports } of modules) {
    const here = locate(file);
    if (!here || !isProductFile(here.rest)) continue;
    const allowed = PACKAGE_DEPS[here.pkg] ?? [];
    for (const spec of imports) {
      const named = /^@porthole\/([^/]+)/.exec(spec);
      if (named) {
        if (named[1] !== here.pkg && !allowed.includes(named[1]))
          problems.push(`${file}: ${here.pkg} may not import @porthole/${named[1]}`);
        continue;
      }
      const target = resolveRelative(file, spec, exists);
      if (!target) continue;
      const there = locate(target);
      if (!there || there.pkg !== here.pkg) {
        problems.push(`${file}: imports ${spec} across a package boundary (use the package's name)`);
        continue;
      }
      if (there.folder === here.folder) continue;
      edge(here.pkg, here.folder, there.folder, file);
      if (here.pkg !== 'server') continue;
      const base = path.posix.basename(target);
      if (there.folder === 'app' && here.folder !== 'index.ts')
        problems.push(
          `${file}: only the entry point imports app/ (the composition root), not ${here.folder}/`,
        );
      if (SERVER_LEAVES.has(here.folder) && !SERVER_LEAVES.has(there.folder))
        problems.push(
          `${file}: ${here.folder}/ is a leaf and may not import the resource folder ${there.folder}/`,
        );
      if (/-routes\.ts$/.test(base) && here.folder !== 'app')
        problems.push(
          `${file}: routes are registered by app/route-table.ts only, not imported by ${here.folder}/`,
        );
    }
    if (here.pkg === 'server') {
      const base = path.posix.basename(file);
      for (const spec of imports) {
        const target = resolveRelative(file, spec, exists);
        if (!target) continue;
        const t = path.posix.basename(target);
        if (/-repo\.ts$/.test(base) && /-(service|routes)\.ts$/.test(t))
          problems.push(`${file}: a repository may not import ${t} (route → service → repository)`);
        if (/-service\.ts$/.test(base) && /-routes\.ts$/.test(t))
          problems.push(`${file}: a service may not import ${t} (route → service → repository)`);
      }
    }
  }
  for (const [pkg, graph] of graphs) {
    for (const comp of cycles(graph)) {
      const sample = comp
        .flatMap((a) =>
          comp
            .filter((b) => graph.get(a)?.has(b))
            .map((b) => `${a} → ${b} (${edge.seen.get(`${pkg}:${a}->${b}`)})`),
        )
        .join('; ');
      problems.push(`packages/${pkg}: folders import each other in a cycle: ${comp.join(', ')}: ${sample}`);
    }
  }
  return problems;
}

/** The module specifiers of a source file: static imports, re-exports and dynamic imports. */
export function importsOf(source) {
  const specs = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs;
}
