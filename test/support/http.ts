import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The one HTTP client of the test suites: node's client to 127.0.0.1 (so HTTPS can trust a
 * self-signed certificate), and on it `ApiClient`, a browser stand-in for Porthole's JSON API.
 */

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when empty). */
  json<T = Record<string, unknown>>(): T;
  /** Milliseconds from sending to the whole body read. */
  ms: number;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A raw string (sent as is) or a value sent as JSON; undefined sends no body. */
  body?: unknown;
  /** Trusted CA (a self-signed server certificate) for https URLs. */
  ca?: string;
  /** The most the whole exchange may take. */
  timeoutMs?: number;
}

/** One HTTP(S) request with node's client, so HTTPS can trust a given certificate. */
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
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = send(u, { method: opts.method ?? 'GET', headers, ca: opts.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: <T>() => (text ? JSON.parse(text) : undefined) as T,
          ms: performance.now() - started,
        });
      });
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
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

/**
 * The Origin a page of the server at `url` sends (http(s) or ws(s) URL): what every browser
 * stand-in here sends, since the server refuses sockets and cookie requests from other origins.
 */
export function pageOrigin(url: string): string {
  return new URL(url.replace(/^ws/, 'http')).origin;
}

let address = 0;

/** A client address of its own (sent as X-Forwarded-For to a server trusting 127.0.0.1), so rate limits stay per test. */
export function nextAddress(): string {
  address += 1;
  return `198.51.${Math.floor(address / 250) % 250}.${(address % 250) + 1}`;
}

/** How the API answers an error. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export interface Reply<T = Record<string, unknown>> extends HttpReply {
  /** The body parsed as JSON; the text itself when it is not JSON; undefined when empty. */
  body: T;
}

export interface ApiClientOptions {
  /** Trusted CA (a self-signed server certificate) for an https base URL. */
  ca?: string;
  /** The client address claimed through a trusted proxy (see `nextAddress`). */
  forwardedFor?: string;
  /** Sent with every call (an API key's Authorization, say). */
  headers?: Record<string, string>;
  /** The most one call may take; 30 s unless given. */
  timeoutMs?: number;
  /** The Origin sent, as a page of the server would; the base URL's unless given, null sends none. */
  origin?: string | null;
}

/** A browser stand-in: JSON in and out, the session cookie kept from sign-in to sign-out. */
export class ApiClient {
  /** The session cookie's value, while signed in. */
  cookie: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly opts: ApiClientOptions = {},
  ) {}

  /** The Cookie header a browser would send (undefined when signed out). */
  get cookieHeader(): string | undefined {
    return this.cookie === undefined ? undefined : `${SESSION_COOKIE}=${this.cookie}`;
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    const origin = this.opts.origin === undefined ? pageOrigin(this.baseUrl) : this.opts.origin;
    if (origin !== null) headers.origin = origin;
    Object.assign(headers, this.opts.headers);
    if (this.opts.forwardedFor) headers['x-forwarded-for'] = this.opts.forwardedFor;
    if (this.cookieHeader !== undefined) headers.cookie = this.cookieHeader;
    const reply = await http(`${this.baseUrl}${path}`, {
      method,
      headers,
      body,
      ca: this.opts.ca,
      timeoutMs: this.opts.timeoutMs ?? 30_000,
    });
    const set = parseSetCookie(reply.headers, SESSION_COOKIE);
    if (set) this.cookie = set.value === '' ? undefined : set.value;
    let parsed: unknown;
    try {
      parsed = reply.text ? JSON.parse(reply.text) : undefined;
    } catch {
      parsed = reply.text;
    }
    return { ...reply, body: parsed as T };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = Record<string, unknown>>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body);
  }
  patch<T = Record<string, unknown>>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = Record<string, unknown>>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** The sign-in call itself, whatever it answers. */
  login(username: string, password: string) {
    return this.post('/api/auth/login', { username, password });
  }

  /** Signs in or throws with the server's answer. */
  async signIn(username: string, password: string): Promise<this> {
    const r = await this.login(username, password);
    if (r.status !== 200) throw new Error(`sign-in as ${username} failed: ${r.status} ${r.text}`);
    return this;
  }

  /** The answer's body; throws with the server's answer when the status is not `status`. */
  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, path, body);
    if (r.status !== status)
      throw new Error(`${method} ${path}: expected ${status}, got ${r.status} ${r.text}`);
    return r.body;
  }
}

export interface SignedInUser {
  id: string;
  username: string;
  api: ApiClient;
}

/** A new user made by `admin` (`extra` joins the body, groupIds say), signed in from an address of its own. */
export async function createUser(
  admin: ApiClient,
  username: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<SignedInUser> {
  const created = await admin.expect<{ id: string }>(201, 'POST', '/api/admin/users', {
    username,
    password,
    ...extra,
  });
  const api = await new ApiClient(admin.baseUrl, { forwardedFor: nextAddress() }).signIn(username, password);
  return { id: created.id, username, api };
}
