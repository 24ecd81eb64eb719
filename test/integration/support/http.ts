import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when empty). */
  json<T = Record<string, unknown>>(): T;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A raw body (sent as is) or a value sent as JSON. */
  body?: string | object;
  /** Trusted CA (a self-signed server certificate) for https URLs. */
  ca?: string;
  timeoutMs?: number;
}

/** One HTTP(S) request to 127.0.0.1 with node's client, so HTTPS can trust a given certificate. */
export function http(url: string, opts: HttpOptions = {}): Promise<HttpReply> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...opts.headers };
  let payload: string | undefined;
  if (typeof opts.body === 'string') payload = opts.body;
  else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
  if (payload !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, { method: opts.method ?? 'GET', headers, ca: opts.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: <T>() => (text ? JSON.parse(text) : undefined) as T,
        });
      });
    });
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The Set-Cookie header for `name`, split into its value and lower-cased attributes. */
export function parseSetCookie(
  headers: IncomingHttpHeaders,
  name: string,
): { value: string; attributes: Map<string, string> } | undefined {
  for (const line of headers['set-cookie'] ?? []) {
    const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) !== name) continue;
    const attributes = new Map<string, string>();
    for (const a of attrs) {
      const i = a.indexOf('=');
      attributes.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
    }
    return { value: decodeURIComponent(pair.slice(eq + 1)), attributes };
  }
  return undefined;
}

export const SESSION_COOKIE = 'porthole_session';

/** A browser stand-in: keeps the session cookie, optionally claims a client address via a trusted proxy. */
export class Browser {
  cookie: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly opts: { ca?: string; forwardedFor?: string } = {},
  ) {}

  async request(method: string, path: string, body?: string | object): Promise<HttpReply> {
    const headers: Record<string, string> = {};
    if (this.cookie !== undefined) headers.cookie = `${SESSION_COOKIE}=${this.cookie}`;
    if (this.opts.forwardedFor) headers['x-forwarded-for'] = this.opts.forwardedFor;
    const reply = await http(`${this.baseUrl}${path}`, { method, headers, body, ca: this.opts.ca });
    const set = parseSetCookie(reply.headers, SESSION_COOKIE);
    if (set) this.cookie = set.value === '' ? undefined : set.value;
    return reply;
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, body?: string | object) {
    return this.request('POST', path, body);
  }

  login(username: string, password: string) {
    return this.post('/api/auth/login', { username, password });
  }

  /** Signs in or fails the test with the server's answer. */
  async signIn(username: string, password: string): Promise<this> {
    const r = await this.login(username, password);
    if (r.status !== 200) throw new Error(`sign-in as ${username} failed: ${r.status} ${r.text}`);
    return this;
  }
}
