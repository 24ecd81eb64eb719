// The dependency policy of `npm run check` (scripts/audit.mjs runs it): a high or critical
// advisory in a production dependency fails unless scripts/audit-allow.json accepts it, with a
// reason and an expiry date, so an accepted risk is looked at again rather than forgotten.

export const FAILING_SEVERITIES = new Set(['high', 'critical']);

/** `GHSA-xxxx-xxxx-xxxx` from an advisory URL, else the URL itself. */
function advisoryKey(url) {
  const m = /GHSA((?:-[0-9a-z]{4}){3})/i.exec(url ?? '');
  return m ? `GHSA${m[1].toLowerCase()}` : url;
}

/**
 * The allow list, checked: every entry names an advisory (`id`: a GHSA id or the advisory URL),
 * a `reason` and an `expires` date (YYYY-MM-DD, the last day it counts). Throws on a bad entry:
 * an allowance nobody can read is not one.
 */
export function parseAllowList(json) {
  if (!json || typeof json !== 'object' || !Array.isArray(json.advisories))
    throw new Error('audit-allow.json: expected { "advisories": [ … ] }');
  return json.advisories.map((entry, i) => {
    const where = `audit-allow.json advisories[${i}]`;
    if (!entry || typeof entry !== 'object') throw new Error(`${where}: expected an object`);
    const { id, reason, expires } = entry;
    if (typeof id !== 'string' || id.trim() === '') throw new Error(`${where}: id is required`);
    if (typeof reason !== 'string' || reason.trim().length < 10)
      throw new Error(`${where}: reason is required (why the risk is accepted)`);
    if (
      typeof expires !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}$/.test(expires) ||
      Number.isNaN(Date.parse(expires))
    )
      throw new Error(`${where}: expires must be a date YYYY-MM-DD`);
    return { id: advisoryKey(id.trim()), reason, expires, package: entry.package };
  });
}

/**
 * The distinct advisories of an `npm audit --json` report (format 2, npm 7+). Each vulnerable
 * package lists the advisories behind it in `via`; a string there points at another package (a
 * transitive path) whose own entry holds the advisory, so only the objects are collected.
 */
export function advisoriesOf(report) {
  if (!report || typeof report !== 'object' || typeof report.vulnerabilities !== 'object')
    throw new Error('npm audit: unexpected report (no "vulnerabilities"); is npm 7 or later running?');
  const found = new Map();
  for (const vuln of Object.values(report.vulnerabilities)) {
    for (const via of vuln.via ?? []) {
      if (typeof via !== 'object' || via === null) continue;
      const id = advisoryKey(via.url ?? String(via.source));
      const known = found.get(id);
      if (known) {
        if (!known.packages.includes(vuln.name)) known.packages.push(vuln.name);
        continue;
      }
      found.set(id, {
        id,
        url: via.url,
        title: via.title,
        severity: via.severity,
        dependency: via.dependency ?? via.name,
        range: via.range,
        packages: [vuln.name],
      });
    }
  }
  return [...found.values()];
}

/**
 * Applies the policy. `today` is YYYY-MM-DD. Returns what fails (unaccepted high/critical
 * advisories, expired allowances), what an allowance covered, what is below the bar, and
 * allowances matching nothing (to be removed).
 */
export function evaluate(report, allowList, today) {
  const advisories = advisoriesOf(report);
  const byId = new Map(allowList.map((a) => [a.id, a]));
  const expired = allowList.filter((a) => a.expires < today);
  const failing = [];
  const allowed = [];
  const below = [];
  for (const adv of advisories) {
    if (!FAILING_SEVERITIES.has(adv.severity)) {
      below.push(adv);
      continue;
    }
    const allowance = byId.get(adv.id);
    if (allowance && allowance.expires >= today) allowed.push({ ...adv, allowance });
    else failing.push(adv);
  }
  const seen = new Set(advisories.map((a) => a.id));
  const unused = allowList.filter((a) => !seen.has(a.id));
  return { ok: failing.length === 0 && expired.length === 0, failing, expired, allowed, below, unused };
}
