import { createHash, createPublicKey } from 'node:crypto';
import type { GrantPayload } from '@porthole/contracts';
import { type GrantIssuer, GrantSigner } from '@porthole/stream';
import type { AuditContext } from '../audit/audit-context.js';
import { REDACTED } from '../audit/audit-rules.js';
import { commandLineToken } from '../platform/crypto.js';
import type { SystemSettingsRepo } from '../system-settings/system-settings-repo.js';

const SIGNING_KEY = 'grant_signing_key';
const REGISTRATION_TOKEN = 'agent_registration_token';

export interface RotatedGrantKey {
  publicKeyPem: string;
  /** `sha256:<hex>` of the public key's SPKI DER: what an operator compares across replicas and agents. */
  fingerprint: string;
  rotatedAt: string;
}

export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/**
 * Replaces the installation's grant signing key. Every replica's `ReloadingGrantSigner` picks the
 * new key up within its refresh interval and hands its public half to agents at their next
 * check-in; from then on grants signed with the old key are refused.
 */
export async function rotateGrantSigningKey(
  settings: Pick<SystemSettingsRepo, 'set' | 'updatedAt'>,
): Promise<RotatedGrantKey> {
  const pem = GrantSigner.generatePrivateKeyPem();
  const signer = new GrantSigner(pem);
  await settings.set(SIGNING_KEY, pem);
  const at = (await settings.updatedAt(SIGNING_KEY)) ?? new Date();
  return {
    publicKeyPem: signer.publicKeyPem,
    fingerprint: publicKeyFingerprint(signer.publicKeyPem),
    rotatedAt: at.toISOString(),
  };
}

/**
 * The server's grant signer. It is read synchronously on every launch, control call and stream
 * authorisation, so it holds the key in memory and `refresh()` (the manager's grant-key loop, every
 * few seconds) swaps it when the stored one changed: a rotation by `porthole secrets
 * rotate-grant-key` or by another replica reaches every running server without a restart.
 */
type KeySettings = Pick<SystemSettingsRepo, 'get' | 'getOrCreate'>;

export class ReloadingGrantSigner implements GrantIssuer {
  private constructor(
    private readonly settings: KeySettings,
    private pem: string,
    private signer: GrantSigner,
  ) {}

  /** The installation's key lives in the database so every replica signs with the same one. */
  static async load(settings: KeySettings): Promise<ReloadingGrantSigner> {
    const pem = await settings.getOrCreate(SIGNING_KEY, () => GrantSigner.generatePrivateKeyPem());
    return new ReloadingGrantSigner(settings, pem, new GrantSigner(pem));
  }

  get publicKeyPem(): string {
    return this.signer.publicKeyPem;
  }

  sign(payload: GrantPayload): string {
    return this.signer.sign(payload);
  }

  issue(p: Omit<GrantPayload, 'exp'>, ttlSeconds: number, nowMs?: number): string {
    return this.signer.issue(p, ttlSeconds, nowMs);
  }

  /** 1 when the stored key changed and is now in use, else 0 (the manager's loop contract). */
  async refresh(): Promise<number> {
    const pem = await this.settings.get<string>(SIGNING_KEY);
    if (typeof pem !== 'string' || pem === this.pem) return 0;
    // Parse before swapping: a bad value must not leave the server without a signer.
    const next = new GrantSigner(pem);
    this.signer = next;
    this.pem = pem;
    return 1;
  }
}

export class RegistrationTokens {
  constructor(private readonly settings: SystemSettingsRepo) {}

  async current(): Promise<{ token: string; rotatedAt: string }> {
    const token = await this.settings.getOrCreate(REGISTRATION_TOKEN, () => commandLineToken());
    const at = (await this.settings.updatedAt(REGISTRATION_TOKEN)) ?? new Date();
    return { token, rotatedAt: at.toISOString() };
  }

  async rotate(ctx: AuditContext): Promise<{ token: string; rotatedAt: string }> {
    await this.settings.transaction(async (tx, audit) => {
      await tx.set(REGISTRATION_TOKEN, commandLineToken());
      await audit.record(ctx, {
        action: 'agent.registration_token.rotate',
        resourceType: 'system_settings',
        resourceId: REGISTRATION_TOKEN,
        diff: { registrationToken: { before: REDACTED, after: REDACTED } },
      });
    });
    return this.current();
  }
}
