import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../errors.js';
import { EventHub } from '../events/domain-events.js';
import { ManualClock } from '../platform/clock.js';
import { sha256, signInId } from '../platform/crypto.js';
import type { PasswordHasher } from '../platform/password-hasher.js';
import type { UserRepo, UserRow } from '../users/user-repo.js';
import { AttemptLimiter } from './attempt-limiter.js';
import { AuthService } from './auth-service.js';
import type { AuthSessionRepo, AuthSessionRow } from './auth-session-repo.js';

type UserStore = Pick<UserRepo, 'findByUsername' | 'findById' | 'touchLogin' | 'isAdmin'>;
type SessionStore = Pick<AuthSessionRepo, 'insert' | 'find' | 'touch' | 'delete'>;

class FakeUsers implements UserStore {
  readonly rows = new Map<string, UserRow>();
  readonly admins = new Set<string>();

  add(username: string, password: string, extra: Partial<UserRow> = {}): UserRow {
    const row: UserRow = {
      id: `user-${this.rows.size + 1}`,
      username,
      display_name: '',
      password_hash: `hash:${password}`,
      locked: false,
      disabled: false,
      created_at: new Date('2025-12-01T00:00:00Z'),
      last_login_at: null,
      ...extra,
    };
    this.rows.set(row.id, row);
    return row;
  }
  async findByUsername(username: string) {
    return [...this.rows.values()].find((r) => r.username.toLowerCase() === username.toLowerCase());
  }
  async findById(id: string) {
    return this.rows.get(id);
  }
  async touchLogin(id: string, at: Date) {
    const row = this.rows.get(id);
    if (row) row.last_login_at = at;
  }
  async isAdmin(userId: string) {
    return this.admins.has(userId);
  }
}

class FakeSessions implements SessionStore {
  readonly rows = new Map<string, AuthSessionRow & { address: string | null }>();
  async insert(row: Parameters<AuthSessionRepo['insert']>[0]) {
    this.rows.set(row.tokenHash.toString('hex'), {
      user_id: row.userId,
      expires_at: row.expiresAt,
      last_seen_at: new Date(row.expiresAt.getTime() - TTL_MS),
      address: row.address,
    });
  }
  async find(tokenHash: Buffer) {
    return this.rows.get(tokenHash.toString('hex'));
  }
  async touch(tokenHash: Buffer, at: Date) {
    const row = this.rows.get(tokenHash.toString('hex'));
    if (row) row.last_seen_at = at;
  }
  async delete(tokenHash: Buffer) {
    const row = this.rows.get(tokenHash.toString('hex'));
    this.rows.delete(tokenHash.toString('hex'));
    return row?.user_id;
  }
}

/** Fast and transparent: records which hashes were verified so timing equalisation is visible. */
class FakeHasher implements PasswordHasher {
  readonly verified: string[] = [];
  async hash(password: string) {
    return `hash:${password}`;
  }
  async verify(hash: string, password: string) {
    this.verified.push(hash);
    return hash === `hash:${password}`;
  }
}

const TTL_MS = 3600_000;
const meta = { address: '192.0.2.1', userAgent: 'vitest' };

let clock: ManualClock;
let users: FakeUsers;
let sessions: FakeSessions;
let hasher: FakeHasher;
let auth: AuthService;
let signedOut: Array<[string, string | null]>;
let events: EventHub;

beforeEach(() => {
  clock = new ManualClock();
  users = new FakeUsers();
  sessions = new FakeSessions();
  hasher = new FakeHasher();
  signedOut = [];
  events = new EventHub();
  auth = new AuthService({
    users: users as unknown as UserRepo,
    sessions: sessions as unknown as AuthSessionRepo,
    hasher,
    clock,
    sessionTtlMs: TTL_MS,
    accountLimiter: new AttemptLimiter({ max: 3, windowMs: 60_000 }, clock),
    addressLimiter: new AttemptLimiter({ max: 6, windowMs: 60_000 }, clock),
    events,
  });
  events.on('signedOut', async ({ userId, signIn }) => {
    signedOut.push([userId, signIn ?? null]);
  });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('AuthService.login', () => {
  it('signs in with the right password, stores only a hash of the token and returns the user', async () => {
    const row = users.add('alice@example.com', 'correct horse');
    users.admins.add(row.id);
    const r = await auth.login({ username: 'Alice@Example.com', password: 'correct horse' }, meta);
    expect(r.token.length).toBeGreaterThanOrEqual(40);
    expect(r.expiresAt.getTime()).toBe(clock.now().getTime() + TTL_MS);
    expect(r.user).toMatchObject({ id: row.id, username: 'alice@example.com', isAdmin: true });
    expect(r.user.lastLoginAt).toBe(clock.now().toISOString());
    expect([...sessions.rows.keys()]).toEqual([sha256(r.token).toString('hex')]);
    expect(sessions.rows.get(sha256(r.token).toString('hex'))?.address).toBe(meta.address);
  });

  it('answers an unknown user and a wrong password with the same error, after the same work', async () => {
    users.add('bob@example.com', 'right password');
    const unknown = await rejection(auth.login({ username: 'nobody@example.com', password: 'x' }, meta));
    const wrong = await rejection(auth.login({ username: 'bob@example.com', password: 'wrong' }, meta));
    expect(unknown).toBeInstanceOf(UnauthorizedError);
    expect(wrong).toBeInstanceOf(UnauthorizedError);
    expect(unknown.message).toBe(wrong.message);
    // Both paths ran one password verification (the unknown user against a stand-in hash).
    expect(hasher.verified).toHaveLength(2);
    expect(hasher.verified[0]).toBe('hash:porthole-timing-equaliser');
    expect(sessions.rows.size).toBe(0);
  });

  it('refuses a locked or a disabled account with ForbiddenError, and only after the password', async () => {
    users.add('locked@example.com', 'password-1', { locked: true });
    users.add('disabled@example.com', 'password-1', { disabled: true });
    const locked = await rejection(
      auth.login({ username: 'locked@example.com', password: 'password-1' }, meta),
    );
    const disabled = await rejection(
      auth.login({ username: 'disabled@example.com', password: 'password-1' }, meta),
    );
    expect(locked).toBeInstanceOf(ForbiddenError);
    expect(locked.message).toMatch(/locked/);
    expect(disabled).toBeInstanceOf(ForbiddenError);
    expect(disabled.message).toMatch(/disabled/);
    // A wrong password for a locked account reveals nothing about the lock.
    const guess = await rejection(auth.login({ username: 'locked@example.com', password: 'guess' }, meta));
    expect(guess).toBeInstanceOf(UnauthorizedError);
    expect(sessions.rows.size).toBe(0);
  });

  it('limits failed attempts per account, whatever the address, until the window passes', async () => {
    users.add('carol@example.com', 'password-1');
    for (let i = 0; i < 3; i++) {
      const e = await rejection(
        auth.login({ username: 'carol@example.com', password: 'bad' }, { ...meta, address: `10.0.0.${i}` }),
      );
      expect(e).toBeInstanceOf(UnauthorizedError);
    }
    const limited = await rejection(
      auth.login({ username: 'CAROL@example.com', password: 'password-1' }, { ...meta, address: '10.0.0.9' }),
    );
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterSeconds).toBe(60);
    // Blocked before the hash is checked: a limited caller costs no argon2 work.
    expect(hasher.verified).toHaveLength(3);
    clock.advance(60_000);
    await expect(
      auth.login({ username: 'carol@example.com', password: 'password-1' }, meta),
    ).resolves.toBeDefined();
  });

  it('resets the account counter on success', async () => {
    users.add('dave@example.com', 'password-1');
    const attempt = (password: string) => auth.login({ username: 'dave@example.com', password }, meta);
    await rejection(attempt('bad'));
    await rejection(attempt('bad'));
    await attempt('password-1');
    await rejection(attempt('bad'));
    await rejection(attempt('bad'));
    await expect(attempt('password-1')).resolves.toBeDefined();
  });

  it('limits every attempt per address, successful or not', async () => {
    for (let i = 0; i < 6; i++) users.add(`u${i}@example.com`, 'password-1');
    for (let i = 0; i < 6; i++)
      await auth.login({ username: `u${i}@example.com`, password: 'password-1' }, meta);
    const limited = await rejection(auth.login({ username: 'u0@example.com', password: 'password-1' }, meta));
    expect(limited).toBeInstanceOf(RateLimitedError);
    await expect(
      auth.login({ username: 'u0@example.com', password: 'password-1' }, { ...meta, address: '192.0.2.2' }),
    ).resolves.toBeDefined();
  });
});

describe('AuthService sessions', () => {
  async function signIn(extra: Partial<UserRow> = {}) {
    const row = users.add('erin@example.com', 'password-1', extra);
    const { token } = await auth.login({ username: 'erin@example.com', password: 'password-1' }, meta);
    return { row, token };
  }

  it('resolves a live session to its caller', async () => {
    const { row, token } = await signIn();
    const caller = await auth.resolveSession(token);
    expect(caller).toMatchObject({ userId: row.id, username: row.username, isAdmin: false });
    expect(caller?.sessionTokenHash?.equals(sha256(token))).toBe(true);
    expect(await auth.me(caller as NonNullable<typeof caller>)).toMatchObject({ id: row.id });
  });

  it('resolves an expired session to null', async () => {
    const { token } = await signIn();
    clock.advance(TTL_MS - 1);
    expect(await auth.resolveSession(token)).not.toBeNull();
    clock.advance(1);
    expect(await auth.resolveSession(token)).toBeNull();
  });

  it('resolves unknown, malformed and signed-out tokens to null', async () => {
    const { token } = await signIn();
    expect(await auth.resolveSession('x'.repeat(43))).toBeNull();
    expect(await auth.resolveSession('short')).toBeNull();
    expect(await auth.resolveSession('y'.repeat(500))).toBeNull();
    await auth.logout(token);
    expect(await auth.resolveSession(token)).toBeNull();
  });

  it('signing out tells whose sign-in ended, by an id that is not the token nor its hash', async () => {
    const { row, token } = await signIn();
    await auth.logout(token);
    expect(signedOut).toEqual([[row.id, signInId(sha256(token))]]);
    expect(signedOut[0]?.[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(token).not.toContain(signedOut[0]?.[1] ?? '');
    expect(sha256(token).toString('hex')).not.toContain(signedOut[0]?.[1] ?? '');
    // An unknown or already spent token ends nobody's sign-in.
    await auth.logout(token);
    expect(signedOut).toHaveLength(1);
  });

  it('drops the sessions of a user who is later locked or disabled', async () => {
    const { row, token } = await signIn();
    row.locked = true;
    expect(await auth.resolveSession(token)).toBeNull();
    row.locked = false;
    row.disabled = true;
    expect(await auth.resolveSession(token)).toBeNull();
    row.disabled = false;
    expect(await auth.resolveSession(token)).not.toBeNull();
  });

  it('records activity at most once a minute', async () => {
    const { token } = await signIn();
    const key = sha256(token).toString('hex');
    const seen = () => sessions.rows.get(key)?.last_seen_at.getTime();
    const first = seen();
    clock.advance(30_000);
    await auth.resolveSession(token);
    expect(seen()).toBe(first);
    clock.advance(31_000);
    await auth.resolveSession(token);
    expect(seen()).toBe(clock.now().getTime());
  });

  it('rejects me() for a user deleted since sign-in', async () => {
    const { row, token } = await signIn();
    const caller = await auth.resolveSession(token);
    users.rows.delete(row.id);
    await expect(auth.me(caller as NonNullable<typeof caller>)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
