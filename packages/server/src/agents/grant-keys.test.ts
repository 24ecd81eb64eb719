import { GrantVerifier } from '@porthole/stream';
import { describe, expect, it } from 'vitest';
import type { SystemSettingsRepo } from '../system-settings/system-settings-repo.js';
import { publicKeyFingerprint, ReloadingGrantSigner, rotateGrantSigningKey } from './grant-keys.js';

type Settings = Pick<SystemSettingsRepo, 'get' | 'set' | 'getOrCreate' | 'updatedAt'>;

function memorySettings(): Settings & { values: Map<string, unknown> } {
  const values = new Map<string, unknown>();
  return {
    values,
    get: async <T>(key: string) => values.get(key) as T | undefined,
    set: async (key: string, value: unknown) => void values.set(key, value),
    getOrCreate: async <T>(key: string, make: () => T) => {
      if (!values.has(key)) values.set(key, make());
      return values.get(key) as T;
    },
    updatedAt: async () => new Date(0),
  };
}

const grant = { aud: 'agent-1', sid: 'session-1', act: 'control' as const };
const expectGrant = { sessionId: 'session-1', action: 'control' as const };

describe('ReloadingGrantSigner', () => {
  it('keeps its key while the stored one is unchanged', async () => {
    const settings = memorySettings();
    const signer = await ReloadingGrantSigner.load(settings);
    const before = signer.publicKeyPem;
    expect(await signer.refresh()).toBe(0);
    expect(signer.publicKeyPem).toBe(before);
  });

  it('signs with the rotated key after a refresh, and the old key’s grants fail against the new public key', async () => {
    const settings = memorySettings();
    const signer = await ReloadingGrantSigner.load(settings);
    const oldGrant = signer.issue(grant, 30);
    const rotated = await rotateGrantSigningKey(settings);
    expect(rotated.fingerprint).toBe(publicKeyFingerprint(rotated.publicKeyPem));
    expect(rotated.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);

    expect(await signer.refresh()).toBe(1);
    expect(signer.publicKeyPem).toBe(rotated.publicKeyPem);
    const verifier = new GrantVerifier(rotated.publicKeyPem, 'agent-1');
    expect(verifier.check(oldGrant, expectGrant)).toEqual({ ok: false, reason: 'bad grant signature' });
    expect(verifier.check(signer.issue(grant, 30), expectGrant).ok).toBe(true);
  });

  it('keeps the working key when the stored value does not parse', async () => {
    const settings = memorySettings();
    const signer = await ReloadingGrantSigner.load(settings);
    const before = signer.publicKeyPem;
    settings.values.set('grant_signing_key', 'not a key');
    await expect(signer.refresh()).rejects.toThrow();
    expect(signer.publicKeyPem).toBe(before);
  });
});
