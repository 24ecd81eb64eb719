import { describe, expect, it } from 'vitest';
import { APP_CSP, HSTS, SESSION_CSP } from '../http/security-headers.js';
import { renderNginxConfig } from './nginx-config.js';

const rendered = renderNginxConfig({
  serverUrl: 'http://127.0.0.1:8080',
  listen: '443',
  serverName: 'porthole.example.com',
  certFile: '/etc/ssl/p.pem',
  keyFile: '/etc/ssl/p.key',
});

/** The body of `location <name> {…}` (no nested blocks in the template). */
function location(name: string): string {
  const start = rendered.indexOf(`location ${name} {`);
  if (start < 0) throw new Error(`no location ${name}`);
  return rendered.slice(start, rendered.indexOf('\n    }', start));
}

describe('the nginx template', () => {
  it('sends the server’s policies: the app’s in the server block, the session pages’ in /session/', () => {
    expect(rendered).toContain(`add_header Content-Security-Policy   "${APP_CSP}" always;`);
    expect(rendered).toContain(`add_header Strict-Transport-Security "${HSTS}" always;`);
    const session = location('/session/');
    expect(session).toContain(`add_header Content-Security-Policy   "${SESSION_CSP}" always;`);
    // A location with add_header of its own inherits none: it must repeat every header.
    for (const h of [
      'X-Content-Type-Options',
      'Referrer-Policy',
      'Cross-Origin-Opener-Policy',
      'X-Frame-Options',
    ])
      expect(session, h).toContain(`add_header ${h}`);
  });

  it('tells session-auth about upgrades and leaves the browser’s Origin lines as they came', () => {
    const auth = location('= /_porthole_session_auth');
    expect(auth).toContain('proxy_set_header X-Original-Upgrade $http_upgrade;');
    expect(auth).not.toMatch(/proxy_set_header\s+Origin/i);
    expect(auth).not.toMatch(/proxy_pass_request_headers\s+off/);
  });
});
