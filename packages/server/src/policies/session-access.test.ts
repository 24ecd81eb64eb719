import { describe, expect, it, vi } from 'vitest';
import type { Caller } from '../http/caller.js';
import { mayManage, sessionRole } from './session-access.js';

const alice: Caller = { userId: 'alice', username: 'alice', isAdmin: false };
const bob: Caller = { userId: 'bob', username: 'bob', isAdmin: false };
const admin: Caller = { userId: 'root', username: 'root', isAdmin: true };
const live = { user_id: 'alice', ended_at: null };
const ended = { user_id: 'alice', ended_at: new Date(0) };

describe('session access policy', () => {
  it('gives the owner "owner" without asking about participants', async () => {
    const lookup = vi.fn(async () => 'viewer' as const);
    expect(await sessionRole(alice, live, lookup)).toBe('owner');
    expect(lookup).not.toHaveBeenCalled();
  });

  it('gives a participant their role, an admin "viewer" and anyone else nothing', async () => {
    expect(await sessionRole(bob, live, async () => 'collaborator')).toBe('collaborator');
    expect(await sessionRole(bob, live, async () => null)).toBeNull();
    expect(await sessionRole(admin, live, async () => null)).toBe('viewer');
    expect(await sessionRole(admin, live, async () => 'collaborator')).toBe('collaborator');
  });

  it("ends everyone's access with the session unless the owner's and admin's view of it is asked for", async () => {
    const lookup = vi.fn(async () => 'viewer' as const);
    expect(await sessionRole(alice, ended, lookup)).toBeNull();
    expect(await sessionRole(admin, ended, lookup)).toBeNull();
    const keep = { ended: 'owner-and-admin' } as const;
    expect(await sessionRole(alice, ended, lookup, keep)).toBe('owner');
    expect(await sessionRole(admin, ended, lookup, keep)).toBe('viewer');
    expect(await sessionRole(bob, ended, lookup, keep)).toBeNull();
    expect(lookup).not.toHaveBeenCalled();
  });

  it('lets the owner and admins manage', () => {
    expect(mayManage(alice, live)).toBe(true);
    expect(mayManage(admin, live)).toBe(true);
    expect(mayManage(bob, live)).toBe(false);
    expect(mayManage(bob, { user_id: null, ended_at: null })).toBe(false);
  });
});
