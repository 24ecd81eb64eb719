import type { LoginRequest, UserView } from '@porthole/contracts';
import type { AuditContext } from '../audit/audit-context.js';
import type { AuditChange } from '../audit/audit-repo.js';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../errors.js';
import type { EventHub } from '../events/domain-events.js';
import { API_KEY_USER_ID, type ApiKeyIdentity, type Caller } from '../http/caller.js';
import type { Clock } from '../platform/clock.js';
import { randomToken, sha256, signInId } from '../platform/crypto.js';
import type { PasswordHasher } from '../platform/password-hasher.js';
import type { UserRepo, UserRow } from '../users/user-repo.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import type { AuthSessionRepo } from './auth-session-repo.js';

/** Checks an API key/secret pair; a bad pair throws UnauthorizedError. */
export interface ApiKeyAuthenticator {
  authenticate(apiKey: string, secret: string): Promise<ApiKeyIdentity>;
}

export interface AuthServiceDeps {
  users: UserRepo;
  sessions: AuthSessionRepo;
  hasher: PasswordHasher;
  clock: Clock;
  sessionTtlMs: number;
  accountLimiter: AttemptLimiter;
  addressLimiter: AttemptLimiter;
  /** Resolves `Authorization: Bearer <api_key>:<api_key_secret>`; unset: bearer credentials fail. */
  apiKeys?: ApiKeyAuthenticator;
  /**
   * Hears `signedOut` when sign-ins end, so the streams they opened close (only a stream's opening
   * checked the cookie). Best effort, after the commit.
   */
  events?: Pick<EventHub, 'emit'>;
  /** Unset (unit tests): nothing is recorded. */
  audit?: SignInAudit;
}

/** Where sign-ins, failed ones and sign-outs are recorded (audit/audit-repo.ts). */
export interface SignInAudit {
  record(ctx: AuditContext, change: AuditChange): Promise<void>;
}

export function toUserView(row: UserRow, isAdmin: boolean): UserView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    isAdmin,
    locked: row.locked,
    disabled: row.disabled,
    createdAt: row.created_at.toISOString(),
    lastLoginAt: row.last_login_at?.toISOString() ?? null,
  };
}

const BAD_CREDENTIALS = 'invalid username or password';
const TOUCH_EVERY_MS = 60_000;

export class AuthService {
  // Verifying against a real hash for unknown users keeps their answer as slow as a wrong password.
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: AuthServiceDeps) {}

  async login(
    input: LoginRequest,
    meta: { address: string; userAgent: string | null },
  ): Promise<{ token: string; expiresAt: Date; user: UserView }> {
    const { users, sessions, hasher, clock, accountLimiter, addressLimiter } = this.deps;
    const accountKey = input.username.toLowerCase();
    const wait = Math.max(addressLimiter.retryAfter(meta.address), accountLimiter.retryAfter(accountKey));
    if (wait > 0) throw new RateLimitedError(`too many sign-in attempts; try again in ${wait} s`, wait);
    addressLimiter.record(meta.address);

    const row = await users.findByUsername(input.username);
    this.dummyHash ??= hasher.hash('porthole-timing-equaliser');
    const ok = await hasher.verify(row?.password_hash ?? (await this.dummyHash), input.password);
    if (!row || !ok) {
      accountLimiter.record(accountKey);
      await this.failed(input.username, meta.address, row ? 'wrong password' : 'unknown user', row?.id);
      throw new UnauthorizedError(BAD_CREDENTIALS);
    }
    if (row.disabled || row.locked) {
      const state = row.disabled ? 'disabled' : 'locked';
      await this.failed(input.username, meta.address, `account ${state}`, row.id);
      throw new ForbiddenError(`this account is ${state}`);
    }
    accountLimiter.reset(accountKey);

    const token = randomToken();
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + this.deps.sessionTtlMs);
    await sessions.insert({
      tokenHash: sha256(token),
      userId: row.id,
      expiresAt,
      address: meta.address,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
    });
    await users.touchLogin(row.id, now);
    await this.deps.audit?.record(
      { actor: { type: 'user', id: row.id, name: row.username }, address: meta.address },
      { action: 'auth.sign_in', resourceType: 'user', resourceId: row.id },
    );
    const fresh = { ...row, last_login_at: now };
    return { token, expiresAt, user: toUserView(fresh, await users.isAdmin(row.id)) };
  }

  async logout(token: string, ctx?: AuditContext): Promise<void> {
    const tokenHash = sha256(token);
    const userId = await this.deps.sessions.delete(tokenHash);
    if (!userId) return;
    if (ctx) {
      await this.deps.audit?.record(ctx, {
        action: 'auth.sign_out',
        resourceType: 'user',
        resourceId: userId,
      });
    }
    await this.signedOut(userId, signInId(tokenHash));
  }

  /** The name that was tried and why it failed; never the password. */
  private async failed(username: string, address: string, reason: string, userId?: string): Promise<void> {
    await this.deps.audit?.record(
      { actor: { type: 'anonymous', id: null, name: username.slice(0, 200) }, address },
      {
        action: 'auth.sign_in_failed',
        resourceType: 'user',
        resourceId: userId ?? null,
        details: { username: username.slice(0, 200), reason },
      },
    );
  }

  /** The caller behind a session cookie, or null when it is unknown, expired or the user is barred. */
  async resolveSession(token: string): Promise<Caller | null> {
    if (token.length < 20 || token.length > 100) return null;
    const { sessions, users, clock } = this.deps;
    const tokenHash = sha256(token);
    const s = await sessions.find(tokenHash);
    const now = clock.now();
    if (!s || s.expires_at <= now) return null;
    const user = await users.findById(s.user_id);
    if (!user || user.disabled || user.locked) return null;
    if (now.getTime() - s.last_seen_at.getTime() > TOUCH_EVERY_MS) await sessions.touch(tokenHash, now);
    return {
      userId: user.id,
      username: user.username,
      isAdmin: await users.isAdmin(user.id),
      sessionTokenHash: tokenHash,
    };
  }

  /** The caller behind `Bearer <api_key>:<api_key_secret>`; anything else is an UnauthorizedError. */
  async resolveApiKey(credentials: string): Promise<Caller> {
    const colon = credentials.indexOf(':');
    if (colon <= 0 || !this.deps.apiKeys) {
      throw new UnauthorizedError('bearer credentials must be <api_key>:<api_key_secret>');
    }
    const key = await this.deps.apiKeys.authenticate(
      credentials.slice(0, colon),
      credentials.slice(colon + 1),
    );
    return { userId: API_KEY_USER_ID, username: `api-key:${key.name}`, isAdmin: false, apiKey: key };
  }

  /**
   * Signs a user in without a password (a one-time link the developer API handed out): the same
   * browser session a login makes, refused for a disabled or locked account.
   */
  async signInAs(
    userId: string,
    meta: { address: string; userAgent: string | null },
  ): Promise<{ token: string; expiresAt: Date }> {
    const { users, sessions, clock } = this.deps;
    const row = await users.findById(userId);
    if (!row) throw new UnauthorizedError('this sign-in link names a user that no longer exists');
    if (row.disabled) throw new ForbiddenError('this account is disabled');
    if (row.locked) throw new ForbiddenError('this account is locked');
    const token = randomToken();
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + this.deps.sessionTtlMs);
    await sessions.insert({
      tokenHash: sha256(token),
      userId,
      expiresAt,
      address: meta.address,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
    });
    await users.touchLogin(userId, now);
    return { token, expiresAt };
  }

  /** Ends every browser session of the user. */
  async signOutEverywhere(userId: string): Promise<void> {
    await this.deps.sessions.deleteForUser(userId);
    await this.signedOut(userId, null);
  }

  private async signedOut(userId: string, signIn: string | null): Promise<void> {
    // The sign-out itself has happened; a stream that stays open is logged by the hub.
    await this.deps.events
      ?.emit('signedOut', signIn ? { userId, signIn } : { userId })
      .catch(() => undefined);
  }

  /** Forgets sign-ins past their expiry (they are refused anyway; this keeps the table small). */
  async sweepExpired(): Promise<void> {
    await this.deps.sessions.deleteExpired(this.deps.clock.now());
  }

  async me(caller: Caller): Promise<UserView> {
    const row = await this.deps.users.findById(caller.userId);
    if (!row) throw new UnauthorizedError('signed-in user no longer exists');
    return toUserView(row, caller.isAdmin);
  }
}
