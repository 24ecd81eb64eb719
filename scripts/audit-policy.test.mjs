import { describe, expect, it } from 'vitest';
import { advisoriesOf, evaluate, parseAllowList } from './audit-policy.mjs';

const GHSA_HIGH = 'GHSA-wf5p-g6vw-rhxx';
const GHSA_LOW = 'GHSA-c2qf-rxjj-qqgw';
const GHSA_CRIT = 'GHSA-9wv6-86v2-598j';

/** An `npm audit --json` report (format 2) as npm 10/11 writes it, trimmed to what the policy reads. */
function report() {
  return {
    auditReportVersion: 2,
    vulnerabilities: {
      axios: {
        name: 'axios',
        severity: 'high',
        isDirect: false,
        via: [
          {
            source: 1097679,
            name: 'axios',
            dependency: 'axios',
            title: 'Server-Side Request Forgery in axios',
            url: `https://github.com/advisories/${GHSA_HIGH}`,
            severity: 'high',
            range: '<1.7.4',
          },
        ],
      },
      // Vulnerable only through axios: its `via` is the name, not the advisory again.
      'some-client': { name: 'some-client', severity: 'high', isDirect: true, via: ['axios'] },
      semver: {
        name: 'semver',
        severity: 'moderate',
        via: [
          {
            source: 1101088,
            name: 'semver',
            dependency: 'semver',
            title: 'semver vulnerable to Regular Expression Denial of Service',
            url: `https://github.com/advisories/${GHSA_LOW}`,
            severity: 'moderate',
            range: '>=7.0.0 <7.5.2',
          },
        ],
      },
      'path-to-regexp': {
        name: 'path-to-regexp',
        severity: 'critical',
        via: [
          {
            source: 1101850,
            name: 'path-to-regexp',
            dependency: 'path-to-regexp',
            title: 'path-to-regexp outputs backtracking regular expressions',
            url: `https://github.com/advisories/${GHSA_CRIT}`,
            severity: 'critical',
            range: '<0.1.10',
          },
        ],
      },
    },
    metadata: { vulnerabilities: { moderate: 1, high: 2, critical: 1 } },
  };
}

const allow = (entries) => parseAllowList({ advisories: entries });
const reason = 'only reachable from the image builder, never with user input';

describe('audit policy', () => {
  it('collects each advisory once, by GHSA id, from the packages that carry it', () => {
    const found = advisoriesOf(report());
    expect(found.map((a) => a.id).sort()).toEqual([GHSA_CRIT, GHSA_HIGH, GHSA_LOW].sort());
    expect(found.find((a) => a.id === GHSA_HIGH)).toMatchObject({ severity: 'high', packages: ['axios'] });
  });

  it('fails on high and critical advisories, not on moderate ones', () => {
    const r = evaluate(report(), [], '2026-12-08');
    expect(r.ok).toBe(false);
    expect(r.failing.map((a) => a.id).sort()).toEqual([GHSA_CRIT, GHSA_HIGH].sort());
    expect(r.below.map((a) => a.id)).toEqual([GHSA_LOW]);
  });

  it('passes a clean report', () => {
    const r = evaluate({ auditReportVersion: 2, vulnerabilities: {} }, [], '2026-12-08');
    expect(r).toMatchObject({ ok: true, failing: [], expired: [] });
  });

  it('accepts an advisory listed with a reason until its expiry date (by GHSA id or by URL)', () => {
    const list = allow([
      { id: GHSA_HIGH, reason, expires: '2026-12-31' },
      { id: `https://github.com/advisories/${GHSA_CRIT}`, reason, expires: '2026-12-08' },
    ]);
    const r = evaluate(report(), list, '2026-12-08');
    expect(r.ok).toBe(true);
    expect(r.allowed.map((a) => a.id).sort()).toEqual([GHSA_CRIT, GHSA_HIGH].sort());
  });

  it('fails once an allowance has expired, and names it', () => {
    const list = allow([
      { id: GHSA_HIGH, reason, expires: '2026-12-07' },
      { id: GHSA_CRIT, reason, expires: '2027-01-31' },
    ]);
    const r = evaluate(report(), list, '2026-12-08');
    expect(r.ok).toBe(false);
    expect(r.expired.map((a) => a.id)).toEqual([GHSA_HIGH]);
    expect(r.failing.map((a) => a.id)).toEqual([GHSA_HIGH]);
  });

  it('fails on an expired allowance even when its advisory is gone, and reports unused ones', () => {
    const list = allow([
      { id: 'ghsa-AAAA-bbbb-cccc', reason, expires: '2026-01-01' },
      { id: 'GHSA-2222-3333-4444', reason, expires: '2027-01-01' },
    ]);
    const r = evaluate({ auditReportVersion: 2, vulnerabilities: {} }, list, '2026-12-08');
    expect(r.ok).toBe(false);
    expect(r.unused.map((a) => a.id)).toEqual(['GHSA-aaaa-bbbb-cccc', 'GHSA-2222-3333-4444']);
  });

  it('refuses allowances without a reason or a valid expiry date', () => {
    expect(() => allow([{ id: GHSA_HIGH, expires: '2026-12-31' }])).toThrow(/reason is required/);
    expect(() => allow([{ id: GHSA_HIGH, reason, expires: 'next year' }])).toThrow(/expires must be a date/);
    expect(() => allow([{ reason, expires: '2026-12-31' }])).toThrow(/id is required/);
    expect(() => parseAllowList([])).toThrow(/expected \{ "advisories"/);
  });

  it('refuses a report that is not npm audit’s format 2', () => {
    expect(() => advisoriesOf({ advisories: {} })).toThrow(/unexpected report/);
  });
});
