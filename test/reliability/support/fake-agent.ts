import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  AgentCheckinRequest,
  AgentCheckinResponse,
  AgentRegisterResponse,
  ContainerState,
} from '@porthole/contracts';

/**
 * An agent over HTTP with no containers (as bench/control-plane does): it registers, checks in on
 * a timer with fixed resources and every image present, and its API answers create/ready/actions
 * at once. Each session's create calls are counted, so a session created twice shows.
 */
export interface FakeAgentOptions {
  serverUrl: string;
  token: string;
  name: string;
  cores?: number;
  memoryBytes?: number;
  images: string[];
  /** Milliseconds between check-ins; 0: only when `checkin()` is called. */
  checkinMs?: number;
}

interface FakeContainer {
  containerId: string;
  state: ContainerState;
}

export class FakeAgent {
  readonly containers = new Map<string, FakeContainer>();
  /** Create calls per session id (a retried create is idempotent, but is counted). */
  readonly creates = new Map<string, number>();
  /** Check-in answers by status class, e.g. { '2xx': 40 }. */
  readonly checkinStatuses = new Map<string, number>();
  agentId = '';
  secret = '';
  url = '';
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checkinInFlight: Promise<void> | null = null;

  constructor(private readonly opts: FakeAgentOptions) {}

  static async start(opts: FakeAgentOptions): Promise<FakeAgent> {
    const a = new FakeAgent(opts);
    await a.listen();
    await a.register();
    await a.checkin();
    const every = opts.checkinMs ?? 1000;
    if (every > 0) a.timer = setInterval(() => void a.checkin().catch(() => undefined), every);
    return a;
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        resolve();
      }),
    );
  }

  private async register(): Promise<void> {
    const res = await fetch(`${this.opts.serverUrl}/api/agent/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: this.opts.token, name: this.opts.name, url: this.url, version: 'fake' }),
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 201) throw new Error(`fake agent registration: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as AgentRegisterResponse;
    this.agentId = body.agentId;
    this.secret = body.secret;
  }

  get authorization(): string {
    return `Agent ${this.agentId}:${this.secret}`;
  }

  /** The check-in body the fake sends (tests mutate copies of it). */
  report(): AgentCheckinRequest {
    const memoryBytes = this.opts.memoryBytes ?? 64 * 2 ** 30;
    return {
      version: 'fake',
      resources: {
        cores: this.opts.cores ?? 64,
        memoryBytes,
        memoryFreeBytes: memoryBytes,
        diskFreeBytes: 1e12,
        load1: 0.1,
        dockerVersion: 'fake',
      },
      sessions: [...this.containers.entries()].map(([sessionId, c]) => ({
        sessionId,
        containerId: c.containerId,
        state: c.state,
        hostPort: 1,
      })),
      images: this.opts.images.map((ref) => ({ ref, state: 'present' as const })),
    };
  }

  /** One check-in now (never two at once); applies the server's removals. */
  checkin(): Promise<void> {
    this.checkinInFlight ??= (async () => {
      try {
        const res = await fetch(`${this.opts.serverUrl}/api/agent/checkin`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: this.authorization },
          body: JSON.stringify(this.report()),
          signal: AbortSignal.timeout(30_000),
        });
        const cls = `${Math.floor(res.status / 100)}xx`;
        this.checkinStatuses.set(cls, (this.checkinStatuses.get(cls) ?? 0) + 1);
        const text = await res.text();
        if (res.ok) {
          const answer = JSON.parse(text) as AgentCheckinResponse;
          for (const id of answer.removeSessions) this.containers.delete(id);
        }
      } finally {
        this.checkinInFlight = null;
      }
    })();
    return this.checkinInFlight;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const m = /^\/v1\/sessions(?:\/([^/]+))?(?:\/(\w+))?$/.exec(url.pathname);
      const send = (status: number, json?: unknown) => {
        res.statusCode = status;
        if (json === undefined) return res.end();
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(json));
      };
      // The stream path the server's proxy relays: a stand-in for the workspace's web client.
      if (req.method === 'GET' && url.pathname.startsWith('/session/')) {
        res.setHeader('content-type', 'text/html');
        return res.end('<!doctype html><title>fake workspace</title>');
      }
      if (!m) return send(404, { error: { code: 'not_found', message: 'no such route' } });
      const [, id, action] = m;
      const state = (sessionId: string, c: FakeContainer) => ({
        sessionId,
        containerId: c.containerId,
        state: c.state,
        hostPort: 1,
      });
      if (req.method === 'POST' && !id) {
        const { sessionId } = JSON.parse(body) as { sessionId: string };
        this.creates.set(sessionId, (this.creates.get(sessionId) ?? 0) + 1);
        let c = this.containers.get(sessionId);
        if (!c) {
          c = { containerId: randomUUID().replace(/-/g, ''), state: 'running' };
          this.containers.set(sessionId, c);
        }
        return send(201, state(sessionId, c));
      }
      if (!id) return send(404, { error: { code: 'not_found', message: 'no such route' } });
      // No streams run through a fake agent: nothing to close, as the real one answers then.
      if (req.method === 'POST' && action === 'disconnect') return send(200, { closed: 0 });
      const c = this.containers.get(id);
      if (req.method === 'DELETE' && !action) {
        this.containers.delete(id);
        return send(204);
      }
      if (!c) return send(404, { error: { code: 'not_found', message: `no session ${id} on this agent` } });
      if (req.method === 'GET' && action === 'ready') return send(200, { readyMs: 1 });
      if (req.method === 'GET' && !action) return send(200, state(id, c));
      if (req.method === 'POST' && action === 'exec') return send(200, { exitCode: 0, output: '' });
      if (req.method === 'POST' && action) {
        c.state = action === 'pause' ? 'paused' : action === 'stop' ? 'exited' : 'running';
        return send(200, state(id, c));
      }
      return send(404, { error: { code: 'not_found', message: 'no such route' } });
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checkinInFlight?.catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
