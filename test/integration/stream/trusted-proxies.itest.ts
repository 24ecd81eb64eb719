import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * `--behind-proxy`: X-Forwarded-For names the client only when the peer is a configured proxy.
 * The sign-in limiter keys on that address (50 attempts per address per 15 minutes), so a spoofed
 * header from anyone else must not buy a fresh allowance.
 */
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ trustedProxies: ['127.0.0.1'] });
});
afterAll(async () => {
  await t?.stop();
});

let attempt = 0;

/** A failed sign-in for a fresh account name (so only the per-address limit can bite), from `localAddress`. */
function failedLogin(localAddress: string, forwardedFor: string): Promise<number> {
  attempt += 1;
  const body = JSON.stringify({ username: `nobody-${attempt}@example.com`, password: 'wrong-password' });
  const url = new URL(`${t.server.url}/api/auth/login`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'x-forwarded-for': forwardedFor,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('X-Forwarded-For and the sign-in limiter', () => {
  it('ignores a spoofed X-Forwarded-For from an untrusted address', async () => {
    // 127.0.0.2 is loopback too, but not a configured proxy: every attempt counts against it.
    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) statuses.push(await failedLogin('127.0.0.2', `203.0.113.${i + 1}`));
    expect(statuses.slice(0, 50).every((s) => s === 401)).toBe(true);
    expect(statuses[50]).toBe(429);
    // Another spoofed address does not help either.
    expect(await failedLogin('127.0.0.2', '198.51.100.77')).toBe(429);
  });

  it('believes X-Forwarded-For from a configured proxy', async () => {
    // Through 127.0.0.1 each forwarded client has its own allowance, untouched by the above.
    for (let i = 0; i < 55; i++) expect(await failedLogin('127.0.0.1', `192.0.2.${i + 1}`)).toBe(401);
  });
});
