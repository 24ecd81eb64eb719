import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import type {
  AdminUserView,
  ChatMessage,
  ChatServerMessage,
  GroupSettings,
  GroupView,
} from '@porthole/contracts';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { type HttpReply, http, nextAddress, pageOrigin, SESSION_COOKIE } from '../../support/http.js';
import { query } from '../support/database.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from '../support/server.js';

export const USER_PASSWORD = 'sharing-password-123';
const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/** Polls `probe` until it returns a value (not undefined). */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (bound once, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of this test file's own on 127.0.0.1:<port>, without persistence: `kill` is a
 * crash (SIGKILL, all data gone), `restart` brings it back empty on the same port.
 */
export class RedisProcess {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisProcess> {
    const r = new RedisProcess(await freePort());
    await r.restart();
    return r;
  }

  /** (Re)starts the server on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn(
      REDIS_BIN,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${out}`));
      });
    });
    child.stdout?.resume();
    child.stderr?.resume();
  }

  /** SIGKILL, waiting for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** A plain client for assertions on the keys (its own connection; close it). */
  client(): Redis {
    const c = new Redis(this.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    // Refused connections while the server is down are expected; commands still reject.
    c.on('error', () => undefined);
    return c;
  }
}

/** A signed-in person: their cookie works on every replica (auth sessions live in Postgres). */
export interface Person {
  userId: string;
  username: string;
  cookie: string;
}

/** One JSON request to `baseUrl` as `who` (or anonymously). */
export function call(
  baseUrl: string,
  who: Person | null,
  method: string,
  path: string,
  body?: object,
  extraHeaders: Record<string, string> = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = { 'x-forwarded-for': nextAddress(), ...extraHeaders };
  if (who) headers.cookie = `${SESSION_COOKIE}=${who.cookie}`;
  return http(`${baseUrl}${path}`, { method, headers, ...(body ? { body } : {}) });
}

/** Signs in on `baseUrl` and returns the person, or throws with the server's answer. */
export async function signIn(baseUrl: string, username: string, password = USER_PASSWORD): Promise<Person> {
  const r = await call(baseUrl, null, 'POST', '/api/auth/login', { username, password });
  if (r.status !== 200) throw new Error(`sign-in as ${username} failed: ${r.status} ${r.text}`);
  const cookie = (r.headers['set-cookie'] ?? [])
    .map((l) => l.split(';')[0] ?? '')
    .find((p) => p.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  if (!cookie) throw new Error('no session cookie in the sign-in answer');
  const me = (
    await call(baseUrl, { userId: '', username, cookie: decodeURIComponent(cookie) }, 'GET', '/api/auth/me')
  ).json<{ user: { id: string } }>();
  return { userId: me.user.id, username, cookie: decodeURIComponent(cookie) };
}

/** Throws unless the reply has `status`. */
export function expectStatus(r: HttpReply, status: number, what: string): HttpReply {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.text}`);
  return r;
}

/** The built-in admin plus helpers to make groups and users through the admin API. */
export class People {
  private constructor(
    readonly baseUrl: string,
    readonly admin: Person,
  ) {}

  static async on(baseUrl: string): Promise<People> {
    return new People(baseUrl, await signIn(baseUrl, ADMIN_USERNAME, ADMIN_PASSWORD));
  }

  /** A group with these settings (priority 10: wins over All Users). */
  async group(name: string, settings: Partial<GroupSettings>): Promise<string> {
    const r = await call(this.baseUrl, this.admin, 'POST', '/api/admin/groups', {
      name: `${name}-${randomUUID().slice(0, 6)}`,
      priority: 10,
      settings,
    });
    return expectStatus(r, 201, `create group ${name}`).json<GroupView>().id;
  }

  /** A new plain user in `groupIds`, signed in. */
  async user(label: string, groupIds: string[] = []): Promise<Person> {
    const username = `${label}-${randomUUID().slice(0, 6)}@example.com`;
    const r = await call(this.baseUrl, this.admin, 'POST', '/api/admin/users', {
      username,
      password: USER_PASSWORD,
      groupIds,
    });
    expectStatus(r, 201, `create user ${label}`).json<AdminUserView>();
    return signIn(this.baseUrl, username);
  }
}

/**
 * A `running` session row written straight into Postgres, with no agent and no container: the
 * chat and the sharing API only read the row (owner, state, ended_at, share_id), so tests of chat
 * and authorization need no Docker. Streams of such a session are refused (no agent), which is
 * why the stream checks live in replicas.itest.ts, on a real session.
 */
export async function insertRunningSession(databaseUrl: string, ownerId: string): Promise<string> {
  const imageId = randomUUID();
  const sessionId = randomUUID();
  await query(
    databaseUrl,
    `INSERT INTO images (id, name, friendly_name, docker_image, cores, memory_mb)
     VALUES ($1, $2, 'Chat-only test image', 'none/none:never-pulled', 0.1, 64)`,
    [imageId, `chat-only-${imageId.slice(0, 8)}`],
  );
  await query(
    databaseUrl,
    `INSERT INTO sessions (id, user_id, image_id, state, cores, memory_mb, running_at)
     VALUES ($1, $2, $3, 'running', 0.1, 64, now())`,
    [sessionId, ownerId, imageId],
  );
  return sessionId;
}

/** A refused WebSocket upgrade. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
  ) {
    super(`upgrade refused with ${status}`);
  }
}

/** A chat socket as the web app opens it: cookie auth, JSON frames, everything received kept. */
export class ChatClient {
  readonly received: ChatServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private closedWith: { code: number; reason: string } | undefined;
  private waiters = new Set<() => void>();

  private constructor(
    readonly ws: WebSocket,
    readonly who: Person,
    readonly sessionId: string,
  ) {
    ws.on('message', (data: Buffer) => {
      this.received.push(JSON.parse(data.toString('utf8')) as ChatServerMessage);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString('utf8') };
        resolve(this.closedWith);
        this.wake();
      });
    });
    ws.on('error', () => undefined);
  }

  static open(baseUrl: string, sessionId: string, who: Person | null): Promise<ChatClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/api/sessions/${sessionId}/chat`;
    const ws = new WebSocket(url, {
      headers: {
        origin: pageOrigin(baseUrl),
        ...(who ? { cookie: `${SESSION_COOKIE}=${who.cookie}` } : {}),
      },
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () =>
        resolve(new ChatClient(ws, who ?? { userId: '', username: '', cookie: '' }, sessionId)),
      );
      ws.once('unexpected-response', (_req, res) => {
        reject(new UpgradeRefused(res.statusCode ?? 0, res.headers));
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  /** Opens and waits for the first status/history/presence round, so the socket is fully joined. */
  static async joined(baseUrl: string, sessionId: string, who: Person): Promise<ChatClient> {
    const c = await ChatClient.open(baseUrl, sessionId, who);
    await c.waitFor('the history', (m) => (m.type === 'history' ? m : undefined));
    await c.waitFor('own presence', (m) =>
      m.type === 'presence' && m.users.some((u) => u.userId === who.userId) ? m : undefined,
    );
    return c;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  send(text: string): void {
    this.ws.send(JSON.stringify({ type: 'message', text }));
  }

  sendRaw(raw: string): void {
    this.ws.send(raw);
  }

  /** The first received message from index `from` on that `pick` maps to a value. */
  async waitFor<T>(
    what: string,
    pick: (m: ChatServerMessage) => T | undefined,
    opts: { from?: number; timeoutMs?: number } = {},
  ): Promise<T> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    let i = opts.from ?? 0;
    for (;;) {
      for (; i < this.received.length; i++) {
        const m = this.received[i];
        const v = m ? pick(m) : undefined;
        if (v !== undefined) return v;
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `${this.who.username}: timed out waiting for ${what}; got ${JSON.stringify(this.received.slice(-5))}`,
        );
      if (this.closedWith) throw new Error(`${this.who.username}: closed while waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** The next `error` frame after index `from`. */
  nextError(from: number, timeoutMs = 5_000): Promise<string> {
    return this.waitFor('an error frame', (m) => (m.type === 'error' ? m.message : undefined), {
      from,
      timeoutMs,
    });
  }

  /** The next `status` frame after index `from` with this availability. */
  status(available: boolean, from: number, timeoutMs = 15_000): Promise<true> {
    return this.waitFor(
      `status available=${available}`,
      (m) => (m.type === 'status' && m.available === available ? true : undefined),
      { from, timeoutMs },
    );
  }

  /** Chat messages received live (`message` frames), in arrival order. */
  live(kind?: ChatMessage['kind']): ChatMessage[] {
    return this.received
      .flatMap((m) => (m.type === 'message' ? [m.message] : []))
      .filter((m) => kind === undefined || m.kind === kind);
  }

  /** The last `history` frame's messages. */
  lastHistory(): ChatMessage[] | undefined {
    for (let i = this.received.length - 1; i >= 0; i--) {
      const m = this.received[i];
      if (m?.type === 'history') return m.messages;
    }
    return undefined;
  }

  /** The usernames in the last presence frame (sorted, one per connection). */
  lastPresence(): string[] | undefined {
    for (let i = this.received.length - 1; i >= 0; i--) {
      const m = this.received[i];
      if (m?.type === 'presence') return m.users.map((u) => u.username).sort();
    }
    return undefined;
  }

  /** Waits until the latest presence frame names exactly `usernames`. */
  presenceIs(usernames: string[], timeoutMs = 10_000): Promise<true> {
    const want = [...usernames].sort().join(',');
    return until(
      `${this.who.username}: presence ${want} (last: ${this.lastPresence()?.join(',')})`,
      () => (this.lastPresence()?.join(',') === want ? true : undefined),
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    if (this.closedWith) return;
    this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 3000);
    await this.closed;
    clearTimeout(timer);
  }
}

/** Opens the chat socket expecting a refusal; returns its HTTP status. */
export async function refusedStatus(baseUrl: string, sessionId: string, who: Person | null): Promise<number> {
  try {
    const c = await ChatClient.open(baseUrl, sessionId, who);
    await c.close();
    return 101;
  } catch (err) {
    if (err instanceof UpgradeRefused) return err.status;
    throw err;
  }
}

/** The session's chat history as Redis holds it (oldest first). */
export async function redisHistory(redis: Redis, sessionId: string): Promise<ChatMessage[]> {
  return (await redis.lrange(`porthole:chat:${sessionId}`, 0, -1)).map((r) => JSON.parse(r) as ChatMessage);
}

/** Stream authorization as nginx asks for it (200 + role, or 401/403). */
export async function streamAuth(
  baseUrl: string,
  who: Person,
  sessionId: string,
): Promise<{ status: number; role: string | undefined }> {
  const r = await call(baseUrl, who, 'GET', '/api/internal/session-auth', undefined, {
    'x-original-uri': `/session/${sessionId}/websockify`,
  });
  const role = r.headers['x-porthole-role'];
  return { status: r.status, role: typeof role === 'string' ? role : undefined };
}

export type { ChatMessage, ChatServerMessage };
