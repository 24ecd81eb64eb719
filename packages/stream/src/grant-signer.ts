import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { GrantPayload } from '@porthole/contracts';

/** What grant issuers need: the server's signer may swap its key underneath (key rotation). */
export interface GrantIssuer {
  readonly publicKeyPem: string;
  sign(payload: GrantPayload): string;
  issue(p: Omit<GrantPayload, 'exp'>, ttlSeconds: number, nowMs?: number): string;
}

/** Signs grants with the installation's Ed25519 key; agents verify them with the public half. */
export class GrantSigner implements GrantIssuer {
  private readonly key: KeyObject;
  readonly publicKeyPem: string;

  constructor(privateKeyPem: string) {
    this.key = createPrivateKey(privateKeyPem);
    this.publicKeyPem = createPublicKey(this.key).export({ type: 'spki', format: 'pem' }).toString();
  }

  static generatePrivateKeyPem(): string {
    return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  sign(payload: GrantPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${sign(null, Buffer.from(body), this.key).toString('base64url')}`;
  }

  /** A grant valid for `ttlSeconds` from now. */
  issue(p: Omit<GrantPayload, 'exp'>, ttlSeconds: number, nowMs = Date.now()): string {
    return this.sign({ ...p, exp: Math.floor(nowMs / 1000) + ttlSeconds });
  }
}
