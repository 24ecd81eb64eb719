import { describe, expect, it } from 'vitest';
import { commandLineToken, randomToken } from './crypto.js';

describe('tokens', () => {
  it('a command-line token is hex, so it never starts with a dash (the CLI would read an option)', () => {
    for (let i = 0; i < 2000; i++) expect(commandLineToken()).toMatch(/^[0-9a-f]{48}$/);
  });

  it('a random token is base64url of the given length', () => {
    expect(randomToken(24)).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});
