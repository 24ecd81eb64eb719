import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AgentCheckinRequest,
  type AgentRegisterRequest,
  agentCheckinRequestSchema,
  agentRegisterRequestSchema,
} from '@porthole/contracts';

export interface FakeControlPlaneOptions {
  token: string;
  /** The grant public key handed to agents (the test holds the signer). */
  grantPublicKey: string;
  checkinIntervalSeconds?: number;
}

export interface ReceivedCheckin {
  agentId: string;
  body: AgentCheckinRequest;
  at: number;
}

/**
 * A test double of the server's agent protocol (`/api/agent/register`, `/api/agent/checkin`),
 * validating bodies with the same contracts the real server uses. Tests steer its answers
 * (wanted images, sessions to remove, outages) and read what agents reported.
 */
export class FakeControlPlane {
  readonly registrations: AgentRegisterRequest[] = [];
  readonly checkins: ReceivedCheckin[] = [];
  /** Bodies the contracts refused: a test should expect this to stay empty. */
  readonly rejected: string[] = [];
  images: string[] = [];
  removeSessions: string[] = [];
  /** Answer every check-in with 503, as a server being restarted would. */
  down = false;
  grantPublicKey: string;
  checkinIntervalSeconds: number;
  private readonly agents = new Map<string, { secret: string; name: string }>();
  private server: Server | null = null;
  url = '';

  constructor(private readonly options: FakeControlPlaneOptions) {
    this.grantPublicKey = options.grantPublicKey;
    this.checkinIntervalSeconds = options.checkinIntervalSeconds ?? 1;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) =>
        send(res, 500, { error: { code: 'internal', message: String(error) } }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = null;
  }

  checkinsOf(agentId: string): ReceivedCheckin[] {
    return this.checkins.filter((c) => c.agentId === agentId);
  }

  /** Resolves with the first check-in from `agentId` after now that satisfies `predicate`. */
  async waitForCheckin(
    agentId: string,
    predicate: (body: AgentCheckinRequest) => boolean,
    timeoutMs = 30_000,
  ): Promise<AgentCheckinRequest> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    let seen = this.checkins.length;
    while (Date.now() < deadline) {
      for (; seen < this.checkins.length; seen++) {
        const checkin = this.checkins[seen];
        if (checkin && checkin.agentId === agentId && checkin.at >= since && predicate(checkin.body)) {
          return checkin.body;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const last = this.checkinsOf(agentId).at(-1);
    throw new Error(
      `no matching check-in from ${agentId} within ${timeoutMs} ms; last: ${JSON.stringify(last?.body)}`,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    if (req.method === 'POST' && req.url === '/api/agent/register') return this.register(body, res);
    if (req.method === 'POST' && req.url === '/api/agent/checkin') return this.checkin(req, body, res);
    send(res, 404, { error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } });
  }

  private register(raw: unknown, res: ServerResponse): void {
    const parsed = agentRegisterRequestSchema.safeParse(raw);
    if (!parsed.success) {
      this.rejected.push(`register: ${parsed.error.message}`);
      send(res, 400, { error: { code: 'invalid', message: parsed.error.message } });
      return;
    }
    if (parsed.data.token !== this.options.token) {
      send(res, 401, { error: { code: 'unauthorized', message: 'registration token is not valid' } });
      return;
    }
    this.registrations.push(parsed.data);
    // Like the real server: the same name keeps its id.
    const existing = [...this.agents].find(([, a]) => a.name === parsed.data.name)?.[0];
    const agentId = existing ?? randomUUID();
    const secret = randomBytes(24).toString('base64url');
    this.agents.set(agentId, { secret, name: parsed.data.name });
    send(res, 201, { agentId, secret, zoneId: 'zone-default', grantPublicKey: this.grantPublicKey });
  }

  private checkin(req: IncomingMessage, raw: unknown, res: ServerResponse): void {
    if (this.down) {
      send(res, 503, { error: { code: 'unavailable', message: 'restarting' } });
      return;
    }
    const match = /^Agent ([0-9a-f-]{36}):(\S+)$/i.exec(req.headers.authorization ?? '');
    const agent = match?.[1] ? this.agents.get(match[1]) : undefined;
    if (!match?.[1] || !agent || agent.secret !== match[2]) {
      send(res, 401, { error: { code: 'unauthorized', message: 'agent credentials are not valid' } });
      return;
    }
    const parsed = agentCheckinRequestSchema.safeParse(raw);
    if (!parsed.success) {
      this.rejected.push(`checkin: ${parsed.error.message}`);
      send(res, 400, { error: { code: 'invalid', message: parsed.error.message } });
      return;
    }
    this.checkins.push({ agentId: match[1], body: parsed.data, at: Date.now() });
    const reported = new Set(parsed.data.sessions.map((s) => s.sessionId));
    send(res, 200, {
      images: this.images.map((ref) => ({ ref })),
      removeSessions: this.removeSessions.filter((id) => reported.has(id)),
      checkinIntervalSeconds: this.checkinIntervalSeconds,
      grantPublicKey: this.grantPublicKey,
    });
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
