import type { IncomingHttpHeaders } from 'node:http';

/**
 * The one origin rule of the server: which browser origins may open a WebSocket (stream, chat)
 * and send a state-changing request with the sign-in cookie. A cookie rides along with every
 * request to our host whoever's page makes it, so the browser-set `Origin` (and, when absent,
 * `Sec-Fetch-Site`) is what tells our own pages from a foreign one.
 */

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };
const ORIGIN_SHAPE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]+$/i;

/**
 * `scheme://host[:port]` in the form browsers send (lower case, no default port), or undefined
 * when `value` is not an http(s) origin: a path, a query, user info or another scheme.
 */
export function normalizeOrigin(value: string): string | undefined {
  const trimmed = value.trim();
  if (!ORIGIN_SHAPE.test(trimmed)) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!url.hostname) return undefined;
  // URL already lower-cases scheme and host and drops a default port; this keeps it explicit.
  const port = url.port && url.port !== DEFAULT_PORTS[url.protocol] ? `:${url.port}` : '';
  return `${url.protocol}//${url.hostname}${port}`;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The origins a browser uses to reach a server listening at `listenUrl` when no public URL is
 * configured. A loopback or wildcard listener is reached as localhost too (and a wildcard one by
 * any address of the machine, which only a configured public URL can name).
 */
export function originsOfListenUrl(listenUrl: string): string[] {
  const url = new URL(listenUrl);
  const hostname = url.hostname;
  const names =
    WILDCARD_HOSTS.has(hostname) || LOOPBACK_HOSTS.has(hostname)
      ? ['127.0.0.1', 'localhost', '[::1]']
      : [hostname];
  const port = url.port ? `:${url.port}` : '';
  return names.flatMap((name) => normalizeOrigin(`${url.protocol}//${name}${port}`) ?? []);
}

/** The allowed origins: the configured ones, plus those derived from the listen URL once it is bound. */
export class AllowedOrigins {
  private readonly origins = new Set<string>();

  constructor(origins: readonly string[] = []) {
    this.add(origins);
  }

  add(origins: readonly string[]): void {
    for (const o of origins) {
      const normal = normalizeOrigin(o);
      if (!normal) throw new Error(`not an origin (scheme://host[:port]): ${o}`);
      this.origins.add(normal);
    }
  }

  has(origin: string): boolean {
    const normal = normalizeOrigin(origin);
    return normal !== undefined && this.origins.has(normal);
  }

  list(): string[] {
    return [...this.origins];
  }
}

/** What a request says about where it comes from (node's `IncomingMessage` fits). */
export interface OriginSource {
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
}

export type OriginVerdict = { allowed: true } | { allowed: false; origin: string };

/** Every `Origin` line as sent: node joins repeated unknown headers, so only rawHeaders tells. */
function originLines(req: OriginSource): string[] {
  const lines: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === 'origin') lines.push(req.rawHeaders[i + 1] ?? '');
  }
  return lines;
}

/**
 * Whether the request carries exactly one `Origin` naming an allowed origin. Missing, `null`
 * (sandboxed frames, some redirects), repeated or foreign is refused; `origin` says what was seen.
 */
export function originAllowed(req: OriginSource, allowed: AllowedOrigins): OriginVerdict {
  const lines = originLines(req);
  if (lines.length === 0) return { allowed: false, origin: '(none)' };
  if (lines.length > 1) return { allowed: false, origin: lines.join(', ') };
  const origin = lines[0] ?? '';
  // A proxy in front may have joined repeated lines into one.
  if (origin.includes(',') || !allowed.has(origin)) return { allowed: false, origin };
  return { allowed: true };
}

/**
 * The CSRF rule for a state-changing request made with the cookie: refused when `Origin` is
 * present and not allowed, or when the browser says the request is cross-site or same-site (a
 * sibling subdomain) without an allowed `Origin`. With neither header the caller is no browser
 * (curl, a script holding a cookie), which a foreign page cannot drive, so it passes.
 */
export function crossSiteRefusal(req: OriginSource, allowed: AllowedOrigins): string | undefined {
  const lines = originLines(req);
  if (lines.length > 0) {
    const verdict = originAllowed(req, allowed);
    return verdict.allowed ? undefined : verdict.origin;
  }
  const site = req.headers['sec-fetch-site'];
  const value = (Array.isArray(site) ? site.join(',') : (site ?? '')).trim().toLowerCase();
  if (value === '' || value === 'same-origin' || value === 'none') return undefined;
  return `(none; Sec-Fetch-Site: ${value})`;
}

/** Whether the request asks to switch to WebSocket. */
export function isWebSocketUpgrade(value: string | string[] | undefined): boolean {
  const v = Array.isArray(value) ? value.join(',') : (value ?? '');
  return /\bwebsocket\b/i.test(v);
}
