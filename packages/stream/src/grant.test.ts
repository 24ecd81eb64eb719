import { describe, expect, it } from 'vitest';
import { GrantSigner } from './grant-signer.js';
import { GrantVerifier } from './grant-verifier.js';

describe('grants', () => {
  const signer = new GrantSigner(GrantSigner.generatePrivateKeyPem());
  const now = 1_800_000_000_000;
  const verifier = new GrantVerifier(signer.publicKeyPem, 'agent-1', () => now);
  const good = { aud: 'agent-1', sid: 's1', act: 'stream' as const, role: 'viewer' as const };

  it('accepts a grant for this agent, session and action', () => {
    const r = verifier.check(signer.issue(good, 30, now), { sessionId: 's1', action: 'stream' });
    expect(r).toEqual({ ok: true, grant: { ...good, exp: now / 1000 + 30 } });
  });

  it.each([
    ['another agent', { ...good, aud: 'agent-2' }, 's1', 'stream', 'another agent'],
    ['another session', good, 's2', 'stream', 'another session'],
    ['another action', good, 's1', 'control', 'does not allow'],
  ] as const)('rejects a grant for %s', (_n, payload, sid, act, reason) => {
    const r = verifier.check(signer.issue(payload, 30, now), { sessionId: sid, action: act });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toContain(reason);
  });

  it('rejects expired, forged and malformed grants', () => {
    expect(verifier.check(signer.issue(good, -1, now), { sessionId: 's1', action: 'stream' }).ok).toBe(false);
    const other = new GrantSigner(GrantSigner.generatePrivateKeyPem());
    expect(verifier.check(other.issue(good, 30, now), { sessionId: 's1', action: 'stream' })).toEqual({
      ok: false,
      reason: 'bad grant signature',
    });
    const token = signer.issue(good, 30, now);
    const tampered = `${Buffer.from(JSON.stringify({ ...good, role: 'owner', exp: now / 1000 + 30 })).toString('base64url')}.${token.split('.')[1]}`;
    expect(verifier.check(tampered, { sessionId: 's1', action: 'stream' }).ok).toBe(false);
    expect(verifier.check('garbage', { sessionId: 's1', action: 'stream' }).ok).toBe(false);
    expect(verifier.check(undefined, { sessionId: 's1', action: 'stream' }).ok).toBe(false);
  });
});
