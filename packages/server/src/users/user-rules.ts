import { ConflictError, InvalidError } from '../errors.js';

/** Every user belongs to All Users, whatever a form sends. */
export function withAllUsers(groupIds: readonly string[], allUsersId: string | undefined): string[] {
  const out = new Set(groupIds);
  if (allUsersId) out.add(allUsersId);
  return [...out];
}

/** An admin acting on their own account could lock everyone out; they ask another admin instead. */
export function assertNotSelf(
  callerId: string,
  targetId: string,
  action: 'delete' | 'lock' | 'disable',
): void {
  if (callerId === targetId) throw new ConflictError(`you cannot ${action} your own account`);
}

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

/** A 400 naming the offending field, shaped like the ones parse() produces. */
export function invalidField(field: string, message: string): InvalidError {
  return new InvalidError(`${field}: ${message}`, { issues: [{ field, message }] });
}

/** Rejects ids that name no row; the message names the field and the first unknown id. */
export function assertAllKnown(field: string, wanted: readonly string[], known: ReadonlySet<string>): void {
  const missing = wanted.find((id) => !known.has(id));
  if (missing !== undefined) throw invalidField(field, `no such id ${missing}`);
}
