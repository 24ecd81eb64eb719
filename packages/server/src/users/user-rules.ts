import { ConflictError } from '../errors.js';

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
