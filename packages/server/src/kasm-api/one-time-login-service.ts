import type { AuthService } from '../auth/auth-service.js';
import { UnauthorizedError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import { randomToken, sha256 } from '../platform/crypto.js';
import type { OneTimeLoginRepo } from './one-time-login-repo.js';

/** How long a `kasm_url` stays usable: long enough to wait for a session to start, then open it. */
export const ONE_TIME_LOGIN_TTL_MS = 10 * 60_000;
export const ONE_TIME_LOGIN_PATH = '/api/auth/one-time';

/** Sign-in links usable once (Kasm's `kasm_url`): only a hash of each token is stored. */
export class OneTimeLoginService {
  constructor(private readonly deps: { repo: OneTimeLoginRepo; auth: AuthService; clock: Clock }) {}

  /** A new link for the user (landing on the session when given); returns the token and its path. */
  async issue(
    userId: string,
    sessionId: string | null,
    apiKeyId: string | null,
  ): Promise<{ token: string; path: string }> {
    const { repo, clock } = this.deps;
    const now = clock.now();
    await repo.deleteExpired(now);
    const token = randomToken();
    await repo.insert({
      tokenHash: sha256(token),
      userId,
      sessionId,
      apiKeyId,
      now,
      expiresAt: new Date(now.getTime() + ONE_TIME_LOGIN_TTL_MS),
    });
    return { token, path: `${ONE_TIME_LOGIN_PATH}?token=${encodeURIComponent(token)}` };
  }

  /** Spends a link: a browser session for its user, and where to send the browser. */
  async redeem(
    token: string,
    meta: { address: string; userAgent: string | null },
  ): Promise<{ token: string; expiresAt: Date; location: string }> {
    const used =
      token.length >= 20 && token.length <= 100
        ? await this.deps.repo.consume(sha256(token), this.deps.clock.now())
        : undefined;
    if (!used) throw new UnauthorizedError('this sign-in link is not valid: it was used already or expired');
    const session = await this.deps.auth.signInAs(used.user_id, meta);
    return { ...session, location: used.session_id ? `/sessions/${used.session_id}` : '/' };
  }
}
