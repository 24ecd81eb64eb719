import { GrantSigner } from '@porthole/stream';
import type { AuditContext } from '../audit/audit-context.js';
import { REDACTED } from '../audit/audit-rules.js';
import { commandLineToken } from '../platform/crypto.js';
import type { SystemSettingsRepo } from '../system-settings/system-settings-repo.js';

const SIGNING_KEY = 'grant_signing_key';
const REGISTRATION_TOKEN = 'agent_registration_token';

/** The installation's grant key lives in the database so every replica signs with the same one. */
export async function loadGrantSigner(settings: SystemSettingsRepo): Promise<GrantSigner> {
  const pem = await settings.getOrCreate(SIGNING_KEY, () => GrantSigner.generatePrivateKeyPem());
  return new GrantSigner(pem);
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
