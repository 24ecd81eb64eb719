import { describe, expect, it } from 'vitest';
import {
  AllowedOrigins,
  crossSiteRefusal,
  isWebSocketUpgrade,
  normalizeOrigin,
  originAllowed,
  originsOfListenUrl,
} from './origin.js';

/** A request as node hands it over: repeated unknown headers joined, every line in rawHeaders. */
function req(lines: Array<[string, string]>) {
  const headers: Record<string, string> = {};
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  return { headers, rawHeaders: lines.flat() };
}

const allowed = new AllowedOrigins(['https://porthole.example.com', 'http://127.0.0.1:8080']);

describe('normalizeOrigin', () => {
  it('lower-cases, drops the default port and refuses anything but scheme://host[:port]', () => {
    expect(normalizeOrigin('HTTPS://Porthole.Example.COM:443')).toBe('https://porthole.example.com');
    expect(normalizeOrigin('http://127.0.0.1:80')).toBe('http://127.0.0.1');
    expect(normalizeOrigin('http://[::1]:8443')).toBe('http://[::1]:8443');
    for (const bad of [
      'https://a.example/',
      'https://a.example/x',
      'https://a.example?x',
      'https://u@a.example',
      'ftp://a.example',
      'a.example',
      'null',
      '',
    ])
      expect(normalizeOrigin(bad), bad).toBeUndefined();
  });
});

describe('originAllowed', () => {
  it('allows one allowed Origin, whatever its case or default port', () => {
    expect(originAllowed(req([['Origin', 'https://porthole.example.com']]), allowed).allowed).toBe(true);
    expect(originAllowed(req([['origin', 'HTTPS://PORTHOLE.example.com:443']]), allowed).allowed).toBe(true);
  });

  it('refuses a missing, null, foreign, other-port or other-scheme Origin', () => {
    for (const lines of [
      [],
      [['Origin', 'null']],
      [['Origin', 'https://evil.example']],
      [['Origin', 'https://porthole.example.com:8443']],
      [['Origin', 'http://porthole.example.com']],
      [['Origin', 'https://porthole.example.com.evil.example']],
    ] as Array<Array<[string, string]>>)
      expect(originAllowed(req(lines), allowed).allowed, JSON.stringify(lines)).toBe(false);
  });

  it('refuses two Origin lines even when both are allowed, and one a proxy joined', () => {
    const two = req([
      ['Origin', 'https://porthole.example.com'],
      ['Origin', 'https://porthole.example.com'],
    ]);
    expect(originAllowed(two, allowed)).toEqual({
      allowed: false,
      origin: 'https://porthole.example.com, https://porthole.example.com',
    });
    const joined = req([['Origin', 'https://porthole.example.com, https://evil.example']]);
    expect(originAllowed(joined, allowed).allowed).toBe(false);
  });
});

describe('crossSiteRefusal (state-changing requests with the cookie)', () => {
  it('follows Origin when present', () => {
    expect(crossSiteRefusal(req([['Origin', 'https://porthole.example.com']]), allowed)).toBeUndefined();
    expect(crossSiteRefusal(req([['Origin', 'https://evil.example']]), allowed)).toBe('https://evil.example');
    expect(crossSiteRefusal(req([['Origin', 'null']]), allowed)).toBe('null');
  });

  it('without Origin: Sec-Fetch-Site same-origin or none passes, cross-site and same-site do not', () => {
    expect(crossSiteRefusal(req([['Sec-Fetch-Site', 'same-origin']]), allowed)).toBeUndefined();
    expect(crossSiteRefusal(req([['Sec-Fetch-Site', 'none']]), allowed)).toBeUndefined();
    expect(crossSiteRefusal(req([['Sec-Fetch-Site', 'cross-site']]), allowed)).toMatch(/cross-site/);
    expect(crossSiteRefusal(req([['Sec-Fetch-Site', 'same-site']]), allowed)).toMatch(/same-site/);
  });

  it('lets a client that is no browser (neither header) through', () => {
    expect(crossSiteRefusal(req([]), allowed)).toBeUndefined();
  });
});

describe('originsOfListenUrl', () => {
  it('names a loopback or wildcard listener by its loopback names too, at the bound port', () => {
    expect(originsOfListenUrl('https://127.0.0.1:8443')).toEqual([
      'https://127.0.0.1:8443',
      'https://localhost:8443',
      'https://[::1]:8443',
    ]);
    expect(originsOfListenUrl('http://0.0.0.0:80')).toContain('http://localhost');
    expect(originsOfListenUrl('https://10.0.0.5:8443')).toEqual(['https://10.0.0.5:8443']);
  });
});

describe('AllowedOrigins', () => {
  it('refuses a configured value that is not an origin', () => {
    expect(() => new AllowedOrigins(['https://a.example/path'])).toThrow(/not an origin/);
  });
});

it('isWebSocketUpgrade', () => {
  expect(isWebSocketUpgrade('WebSocket')).toBe(true);
  expect(isWebSocketUpgrade('')).toBe(false);
  expect(isWebSocketUpgrade(undefined)).toBe(false);
});
