import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { type GrantPayload, grantPayloadSchema } from '@porthole/contracts';

export type GrantCheck = { ok: true; grant: GrantPayload } | { ok: false; reason: string };

/**
 * Verifies grants the server signs (`base64url(payload).base64url(ed25519 signature)`). The agent
 * holds only the public key, so a compromised agent cannot mint grants for any other.
 */
export class GrantVerifier {
  private key: KeyObject;

  constructor(
    publicKeyPem: string,
    private readonly agentId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createPublicKey(publicKeyPem);
  }

  /** The server may rotate its key; check-in responses carry the current one. */
  setPublicKey(publicKeyPem: string): void {
    this.key = createPublicKey(publicKeyPem);
  }

  check(token: string | undefined, expect: { sessionId: string; action: GrantPayload['act'] }): GrantCheck {
    if (!token) return { ok: false, reason: 'missing grant' };
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 4096) return { ok: false, reason: 'malformed grant' };
    const body = token.slice(0, dot);
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    if (!verify(null, Buffer.from(body), this.key, signature))
      return { ok: false, reason: 'bad grant signature' };
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed grant' };
    }
    const parsed = grantPayloadSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, reason: 'malformed grant' };
    const grant = parsed.data;
    if (grant.aud !== this.agentId) return { ok: false, reason: 'grant is for another agent' };
    if (grant.sid !== expect.sessionId && grant.sid !== '*')
      return { ok: false, reason: 'grant is for another session' };
    if (grant.act !== expect.action) return { ok: false, reason: `grant does not allow ${expect.action}` };
    if (grant.exp * 1000 < this.now()) return { ok: false, reason: 'grant expired' };
    return { ok: true, grant };
  }
}
