import { describe, expect, it } from 'vitest';
import { formatBanner, roughly } from './banner.js';

const url = 'https://127.0.0.1:8443';

describe('formatBanner', () => {
  it('first start: URL, admin and password, what builds and roughly how long', () => {
    const text = formatBanner({
      url,
      firstAdmin: {
        adminUsername: 'admin@porthole.local',
        generatedPassword: 'pw-123456789abcdef',
        passwordFile: '/d/initial-admin-password',
      },
      images: { kind: 'building', names: ['desktop', 'firefox'], estimateSeconds: 180, measured: false },
    });
    expect(text).toContain(`Porthole is up: ${url}`);
    expect(text).toContain('First administrator: admin@porthole.local');
    expect(text).toContain('Password:            pw-123456789abcdef');
    expect(text).toContain('/d/initial-admin-password');
    expect(text).toContain('building desktop, firefox in the background, ready in about 3 min');
    expect(text).toContain('a first build takes 3 min');
    expect(text).toContain('Admin → Workspaces');
  });

  it('later starts: no password; a measured build says so; a Docker problem is its line', () => {
    const text = formatBanner({
      url,
      engineProblem: 'Docker Engine is not running: install it …',
      images: { kind: 'building', names: ['desktop'], estimateSeconds: 130, measured: true },
    });
    expect(text).not.toMatch(/Password|First administrator/);
    expect(text).toContain('the last build here took 2 min');
    expect(text).toContain('  Docker Engine is not running: install it …');
  });

  it('says why nothing builds, and that present images are only checked', () => {
    expect(formatBanner({ url, images: { kind: 'off', reason: 'Docker Engine is not running' } })).toContain(
      'Workspace images: not building (Docker Engine is not running)',
    );
    expect(formatBanner({ url, images: { kind: 'checking' } })).toContain('Workspace images: present');
  });

  it('rounds durations to what a person needs', () => {
    expect(roughly(3)).toBe('10 s');
    expect(roughly(44)).toBe('40 s');
    expect(roughly(180)).toBe('3 min');
  });
});
