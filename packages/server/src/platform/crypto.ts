import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * A token people paste into a command line: hex, because a base64url one starting with `-` reads
 * as an option (`--token -x…` is refused by the CLI's parser, one token in 64).
 */
export function commandLineToken(bytes = 24): string {
  return randomBytes(bytes).toString('hex');
}

export function sha256(input: string): Buffer {
  return createHash('sha256').update(input).digest();
}

/**
 * How a stream grant names the browser sign-in that opened it: derived from the sign-in token's
 * hash (itself a database key), so the agent learns nothing that opens anything.
 */
export function signInId(tokenHash: Buffer): string {
  return createHash('sha256').update(tokenHash).digest('hex').slice(0, 32);
}

export function newId(): string {
  return randomUUID();
}

export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A readable random password: 20 base64url characters ≈ 120 bits. */
export function randomPassword(): string {
  return randomBytes(15).toString('base64url');
}
