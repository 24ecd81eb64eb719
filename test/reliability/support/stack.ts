import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AgentView,
  GroupSettings,
  GroupView,
  ImageCreate,
  ImageView,
  SessionState,
  SessionView,
} from '@porthole/contracts';
import { query } from '../../integration/support/database.js';
import { ApiClient, createUser, nextAddress, type SignedInUser } from '../../support/http.js';
import { Child, freePort } from './processes.js';
import { GiveUp, until } from './wait.js';

export const ADMIN_USERNAME = 'admin@porthole.local';
export const ADMIN_PASSWORD = 'admin-password-for-reliability';
export const USER_PASSWORD = 'user-password-for-reliability';
export const LOG_LEVEL = process.env.PORTHOLE_TEST_LOG ?? 'info';

/** States a launch passes through before it settles. */
export const IN_FLIGHT: readonly SessionState[] = ['requested', 'provisioning', 'starting'];

/**
 * `porthole server` as a child process on a database the scenario owns, always on the same port
 * and data dir so a restart is the same server to its agents and browsers.
 */
export class ServerProcess {
  child: Child | null = null;
  port = 0;
  readonly run = randomUUID().slice(0, 8);
  private constructor(
    readonly dataDir: string,
    public databaseUrl: string,
    readonly redisUrl: string | undefined,
  ) {}

  static async create(opts: { databaseUrl: string; redisUrl?: string }): Promise<ServerProcess> {
    const dataDir = await mkdtemp(join(tmpdir(), 'porthole-rel-server-'));
    const s = new ServerProcess(dataDir, opts.databaseUrl, opts.redisUrl);
    s.port = await freePort();
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 120_000): Promise<void> {
    if (this.child?.running) throw new Error('server already running');
    const args = [
      'server',
      '--insecure-http',
      '--host',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--data-dir',
      this.dataDir,
      '--database-url',
      this.databaseUrl,
      '--behind-proxy',
      '--trusted-proxies',
      '127.0.0.1',
      '--log-level',
      LOG_LEVEL,
    ];
    if (this.redisUrl) args.push('--redis-url', this.redisUrl);
    this.child = Child.porthole('porthole server', args, { PORTHOLE_ADMIN_PASSWORD: ADMIN_PASSWORD });
    await this.child.waitForLine((l) => l.msg === 'porthole is up', timeoutMs);
  }

  /** `kill -9`: no shutdown step runs. */
  async kill9(): Promise<void> {
    await this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.child?.kill('SIGTERM');
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** `porthole agent` as a child process; restarts keep its state dir, name and port. */
export class AgentProcess {
  child: Child | null = null;
  agentId = '';
  port = 0;
  private constructor(
    readonly name: string,
    readonly stateDir: string,
    private readonly serverUrl: string,
    private readonly token: string,
    readonly dockerHost: string,
  ) {}

  static async create(opts: {
    name: string;
    serverUrl: string;
    token: string;
    dockerSocket: string;
  }): Promise<AgentProcess> {
    const stateDir = await mkdtemp(join(tmpdir(), 'porthole-rel-agent-'));
    const a = new AgentProcess(
      opts.name,
      stateDir,
      opts.serverUrl,
      opts.token,
      `unix://${opts.dockerSocket}`,
    );
    a.port = await freePort();
    return a;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (this.child?.running) throw new Error(`agent ${this.name} already running`);
    this.child = Child.porthole(`porthole agent ${this.name}`, [
      'agent',
      '--server-url',
      this.serverUrl,
      // The `=` form: an older (base64url) token may start with '-'.
      `--token=${this.token}`,
      '--name',
      this.name,
      '--listen',
      `127.0.0.1:${this.port}`,
      '--state-dir',
      this.stateDir,
      '--checkin-interval',
      '1',
      '--docker-host',
      this.dockerHost,
      '--log-level',
      LOG_LEVEL,
    ]);
    await this.child.waitForLine((l) => l.msg === 'agent API listening', timeoutMs);
    const identity = await until(
      `agent ${this.name} to register`,
      async () =>
        JSON.parse(await readFile(join(this.stateDir, 'agent.json'), 'utf8')) as { agentId: string },
      timeoutMs,
      200,
    );
    this.agentId = identity.agentId;
  }

  async kill9(): Promise<void> {
    await this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.child?.kill('SIGTERM');
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await rm(this.stateDir, { recursive: true, force: true });
  }
}

export type TestUser = SignedInUser;

/** Admin-side helpers over the HTTP API of a running server. */
export class Plane {
  readonly admin: ApiClient;
  private userSeq = 0;
  readonly run = randomUUID().slice(0, 8);

  constructor(
    readonly baseUrl: string,
    readonly databaseUrl: string,
  ) {
    this.admin = new ApiClient(baseUrl, { forwardedFor: nextAddress() });
  }

  async signInAdmin(): Promise<this> {
    await until('the admin to sign in', async () => {
      await this.admin.signIn(ADMIN_USERNAME, ADMIN_PASSWORD);
      return true;
    });
    return this;
  }

  async registrationToken(): Promise<string> {
    return (await this.admin.expect<{ token: string }>(200, 'GET', '/api/admin/agents/registration-token'))
      .token;
  }

  /** A new user in All Users, signed in from an address of its own. */
  async user(prefix = 'user'): Promise<TestUser> {
    this.userSeq += 1;
    const username = `${prefix}-${this.userSeq}@${this.run}.test`;
    return createUser(this.admin, username, USER_PASSWORD);
  }

  async allUsers(): Promise<GroupView> {
    const groups = (await this.admin.expect<{ items: GroupView[] }>(200, 'GET', '/api/admin/groups')).items;
    const all = groups.find((g) => g.systemRole === 'all_users');
    if (!all) throw new Error('no All Users group');
    return all;
  }

  /** Merges `settings` into All Users' settings. */
  async patchAllUsersSettings(settings: Partial<GroupSettings>): Promise<GroupView> {
    const all = await this.allUsers();
    return this.admin.expect<GroupView>(200, 'PATCH', `/api/admin/groups/${all.id}`, {
      settings: { ...all.settings, ...settings },
    });
  }

  /** A new workspace every user may launch. */
  async workspace(input: Partial<ImageCreate> & { name: string; dockerImage: string }): Promise<ImageView> {
    const all = await this.allUsers();
    return this.admin.expect<ImageView>(201, 'POST', '/api/admin/images', {
      friendlyName: input.name,
      cores: 0.1,
      memoryMb: 256,
      shmMb: 64,
      groupIds: [all.id],
      ...input,
    });
  }

  agent(id: string): Promise<AgentView> {
    return this.admin.expect<AgentView>(200, 'GET', `/api/admin/agents/${id}`);
  }

  /** Waits until the agent is online holding every image in `refs`. */
  waitAgentReady(id: string, refs: string[], timeoutMs = 90_000): Promise<AgentView> {
    return until(
      `agent ${id} online with ${refs.join(', ')}`,
      async () => {
        const v = await this.agent(id);
        const present = refs.every((ref) => v.images.some((i) => i.ref === ref && i.state === 'present'));
        return v.status === 'online' && present ? v : undefined;
      },
      timeoutMs,
      500,
    );
  }

  async sessions(includeEnded = true): Promise<SessionView[]> {
    return (
      await this.admin.expect<{ items: SessionView[] }>(
        200,
        'GET',
        `/api/admin/sessions${includeEnded ? '?includeEnded=true' : ''}`,
      )
    ).items;
  }

  sql<R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    return query<R>(this.databaseUrl, text, values);
  }
}

export function session(api: ApiClient, id: string): Promise<SessionView> {
  return api.expect<SessionView>(200, 'GET', `/api/sessions/${id}`);
}

/** Polls until the session is in `state`; fails early when it ends in another one. */
export function waitState(
  api: ApiClient,
  id: string,
  state: SessionState,
  timeoutMs = 90_000,
): Promise<SessionView> {
  return until(
    `session ${id} to be ${state}`,
    async () => {
      const s = await session(api, id);
      if (s.state === state) return s;
      if ((s.state === 'error' || s.state === 'deleted') && state !== s.state)
        throw new GiveUp(`session ${id} is ${s.state} (${s.stateReason ?? ''}), not ${state}`);
      return undefined;
    },
    timeoutMs,
    250,
  );
}
