import { ConflictError } from '../errors.js';

/** The Administrators group keeps at least one member, or nobody could administer the installation. */
export function assertAdministratorsRemain(
  members: ReadonlySet<string>,
  removed: Iterable<string>,
  target = 'user',
): void {
  const left = new Set(members);
  for (const id of removed) left.delete(id);
  if (members.size > 0 && left.size === 0) {
    throw new ConflictError(`the last administrator cannot be removed from Administrators (${target})`);
  }
}
