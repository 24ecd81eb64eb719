import type { SessionRole } from '@porthole/contracts';
import { describe, expect, it } from 'vitest';
import { ConnectionRegistry, type StreamConnection } from './connection-registry.js';

const S1 = 'session-1';
const S2 = 'session-2';

function conn(
  userId: string | null,
  role: SessionRole,
  issuedAtMs: number | null = null,
  signIn: string | null = null,
) {
  const closes: Array<[number, string]> = [];
  const c: StreamConnection & { closes: typeof closes } = {
    userId,
    role,
    issuedAtMs,
    signIn,
    closes,
    close: (code, reason) => closes.push([code, reason]),
  };
  return c;
}

describe('ConnectionRegistry', () => {
  it('closes one user’s streams of one session, with the code, and forgets them', () => {
    const reg = new ConnectionRegistry();
    const owner = conn('owner', 'owner');
    const bobA = conn('bob', 'viewer');
    const bobB = conn('bob', 'viewer');
    const carol = conn('carol', 'collaborator');
    const bobElsewhere = conn('bob', 'viewer');
    for (const c of [owner, bobA, bobB, carol]) reg.add(S1, c);
    reg.add(S2, bobElsewhere);

    expect(reg.disconnect(S1, { userId: 'bob' }, 4001, 'removed')).toBe(2);
    expect(bobA.closes).toEqual([[4001, 'removed']]);
    expect(bobB.closes).toEqual([[4001, 'removed']]);
    expect(owner.closes).toEqual([]);
    expect(carol.closes).toEqual([]);
    expect(bobElsewhere.closes).toEqual([]);
    expect(reg.count(S1)).toBe(2);
    // Idempotent: nothing left to close for bob.
    expect(reg.disconnect(S1, { userId: 'bob' }, 4001, 'removed')).toBe(0);
  });

  it('closes everyone but the owner, including streams whose grant named nobody', () => {
    const reg = new ConnectionRegistry();
    const owner = conn('owner', 'owner');
    const others = [conn('bob', 'viewer'), conn('carol', 'collaborator'), conn(null, 'viewer')];
    reg.add(S1, owner);
    for (const c of others) reg.add(S1, c);
    expect(reg.disconnect(S1, { allExceptOwner: true }, 4001, 'r')).toBe(3);
    for (const c of others) expect(c.closes).toHaveLength(1);
    expect(owner.closes).toEqual([]);
    expect(reg.count(S1)).toBe(1);
  });

  it('a disconnect delivered late spares streams authorised after it', () => {
    const reg = new ConnectionRegistry();
    const old = conn('bob', 'viewer', 1_000);
    const atTheTime = conn('bob', 'viewer', 2_000);
    const noIssueTime = conn('bob', 'viewer', null);
    const rejoined = conn('bob', 'viewer', 2_001);
    const others = [conn('carol', 'viewer', 500), conn('dan', 'collaborator', 3_000)];
    for (const c of [old, atTheTime, noIssueTime, rejoined, ...others]) reg.add(S1, c);
    expect(reg.disconnect(S1, { userId: 'bob' }, 4001, 'r', 2_000)).toBe(3);
    for (const c of [old, atTheTime, noIssueTime]) expect(c.closes).toHaveLength(1);
    expect(rejoined.closes).toEqual([]);
    expect(reg.disconnect(S1, { allExceptOwner: true }, 4001, 'r', 2_000)).toBe(1);
    expect(others[0]?.closes).toHaveLength(1);
    expect(others[1]?.closes).toEqual([]);
    expect(reg.count(S1)).toBe(2);
  });

  it('answers 0 for an unknown session', () => {
    expect(new ConnectionRegistry().disconnect('nope', { allExceptOwner: true }, 4001, 'r')).toBe(0);
  });

  it('forgets a stream when it closes on its own, and a late release is harmless', () => {
    const reg = new ConnectionRegistry();
    const c = conn('bob', 'viewer');
    const release = reg.add(S1, c);
    release();
    expect(reg.count()).toBe(0);
    expect(reg.disconnect(S1, { userId: 'bob' }, 4001, 'r')).toBe(0);
    expect(c.closes).toEqual([]);
    release();
    expect(reg.count()).toBe(0);
  });

  it('closes the streams of one sign-in, or all but one sign-in’s, of that user only', () => {
    const reg = new ConnectionRegistry();
    const laptop = conn('bob', 'owner', null, 'sin-laptop');
    const laptop2 = conn('bob', 'owner', null, 'sin-laptop');
    const phone = conn('bob', 'owner', null, 'sin-phone');
    const old = conn('bob', 'owner');
    const carol = conn('carol', 'viewer', null, 'sin-laptop');
    for (const c of [laptop, laptop2, phone, old, carol]) reg.add(S1, c);
    expect(reg.disconnect(S1, { userId: 'bob', signIn: 'sin-laptop' }, 4003, 'signed out')).toBe(2);
    expect([laptop.closes, laptop2.closes]).toEqual([[[4003, 'signed out']], [[4003, 'signed out']]]);
    expect(phone.closes).toEqual([]);
    expect(carol.closes).toEqual([]);
    // A password change keeps the phone's sign-in: everything else of bob's goes.
    expect(reg.disconnect(S1, { userId: 'bob', exceptSignIn: 'sin-phone' }, 4003, 'signed out')).toBe(1);
    expect(old.closes).toHaveLength(1);
    expect(phone.closes).toEqual([]);
    expect(reg.count(S1)).toBe(2);
  });

  it('a close that releases itself synchronously does not disturb the sweep', () => {
    const reg = new ConnectionRegistry();
    const releases: Array<() => void> = [];
    let closed = 0;
    for (let i = 0; i < 3; i++) {
      const index = i;
      releases.push(
        reg.add(S1, {
          userId: 'bob',
          role: 'viewer',
          issuedAtMs: null,
          signIn: null,
          close: () => {
            closed += 1;
            releases[index]?.();
          },
        }),
      );
    }
    expect(reg.disconnect(S1, { userId: 'bob' }, 4001, 'r')).toBe(3);
    expect(closed).toBe(3);
    expect(reg.count()).toBe(0);
  });
});
