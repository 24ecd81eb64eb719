/**
 * Tables ordered so that every table comes after the tables its foreign keys point at, which is
 * the order a restore must load them in for the constraints to hold row by row. Ties go by name,
 * so two dumps of one schema list the tables alike. A self-reference is ignored (its rows load in
 * one COPY); a cycle between tables cannot be ordered and is an error.
 */
export function dependencyOrder(
  tables: string[],
  references: Array<{ child: string; parent: string }>,
): string[] {
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const { child, parent } of references) {
    if (child === parent || !parents.has(parent)) continue;
    parents.get(child)?.add(parent);
  }
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < tables.length) {
    const ready = [...parents.keys()]
      .filter((t) => !placed.has(t) && [...(parents.get(t) ?? [])].every((p) => placed.has(p)))
      .sort();
    if (ready.length === 0) {
      const left = [...parents.keys()].filter((t) => !placed.has(t)).sort();
      throw new Error(`foreign keys form a cycle between ${left.join(', ')}`);
    }
    for (const t of ready) {
      order.push(t);
      placed.add(t);
    }
  }
  return order;
}
