import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningAgent, startAgent } from '@porthole/agent';
import type {
  AgentView,
  GroupSettings,
  GroupView,
  ImageCreate,
  ImageUpdate,
  ImageView,
  SessionEvent,
  SessionState,
  SessionView,
  StagingView,
  ZoneView,
} from '@porthole/contracts';
import { type RunningServer, type ServerConfig, startServer } from '@porthole/server';
import Docker from 'dockerode';
import pino from 'pino';
import WebSocket, { type RawData } from 'ws';
import {
  ApiClient,
  createUser,
  type ErrorBody,
  nextAddress,
  pageOrigin,
  type SignedInUser,
} from '../../support/http.js';
import { createTestDatabase, query, type TestDatabase } from '../support/database.js';

/**
 * The control plane for real: `startServer` on a fresh database of the external test Postgres
 * (check-ins every second), real agents in this process on the local Docker, and an HTTP client
 * per user. Everything a file starts is stopped and every container its agents made is removed.
 */

export const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
export const docker = new Docker({ socketPath: SOCKET });
export const logger = pino({ level: process.env.PORTHOLE_TEST_LOG ?? 'silent' });
export const ADMIN_USERNAME = 'admin@porthole.local';
export const ADMIN_PASSWORD = 'admin-password-for-control-plane';
export const USER_PASSWORD = 'user-password-for-control-plane';
export const FIREFOX = 'porthole/firefox:latest';
export const CHECKIN_SECONDS = 1;
/** Small enough that a few desktops fit on this 2-core machine. */
export const SMALL = { cores: 0.5, memoryMb: 1024 } as const;

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An agent in this process; `stop` and `start` keep its state dir and its port (its registered URL). */
export class TestAgent {
  running: RunningAgent | null = null;
  private port = 0;
  private idValue = '';

  constructor(
    private readonly plane: ControlPlane,
    readonly name: string,
    readonly stateDir: string,
    readonly zone: string | undefined,
  ) {}

  get id(): string {
    if (!this.idValue) throw new Error(`agent ${this.name} never started`);
    return this.idValue;
  }

  async start(): Promise<this> {
    const { token } = await this.plane.server.services.agents.registrationToken();
    this.running = await startAgent(
      {
        serverUrl: this.plane.url,
        token,
        name: this.name,
        ...(this.zone ? { zone: this.zone } : {}),
        listen: { host: '127.0.0.1', port: this.port },
        dockerHost: `unix://${SOCKET}`,
        stateDir: this.stateDir,
        checkinIntervalSeconds: CHECKIN_SECONDS,
      },
      logger.child({ agent: this.name }),
    );
    this.port = Number(new URL(this.running.url).port);
    this.idValue = this.running.agentId;
    return this;
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = null;
    await running?.close();
  }

  view(): Promise<AgentView> {
    return this.plane.admin.expect<AgentView>(200, 'GET', `/api/admin/agents/${this.id}`);
  }

  patch(body: Record<string, unknown>): Promise<AgentView> {
    return this.plane.admin.expect<AgentView>(200, 'PATCH', `/api/admin/agents/${this.id}`, body);
  }

  /** Waits until the server shows this agent online holding every ref in `images`. */
  waitReady(images: string[] = [FIREFOX], timeoutMs = 60_000): Promise<AgentView> {
    return until(
      `agent ${this.name} online with ${images.join(', ')}`,
      async () => {
        const v = await this.view();
        const present = images.every((ref) => v.images.some((i) => i.ref === ref && i.state === 'present'));
        return v.status === 'online' && present ? v : undefined;
      },
      timeoutMs,
    );
  }
}

export type TestUser = SignedInUser;

export class ControlPlane {
  server!: RunningServer;
  admin!: ApiClient;
  url = '';
  readonly agents: TestAgent[] = [];
  private readonly dirs: string[] = [];
  private port = 0;
  private userSeq = 0;

  private constructor(
    readonly db: TestDatabase,
    readonly dataDir: string,
    readonly run: string,
    private readonly extra: Partial<ServerConfig>,
  ) {}

  /** A fresh database and a server on it; `prefix` names the database; `extra` adds to its config. */
  static async start(prefix: string, extra: Partial<ServerConfig> = {}): Promise<ControlPlane> {
    const db = await createTestDatabase(`cp_${prefix}`);
    const dataDir = await mkdtemp(join(tmpdir(), `porthole-cp-${prefix}-`));
    const plane = new ControlPlane(db, dataDir, randomUUID().slice(0, 8), extra);
    plane.dirs.push(dataDir);
    try {
      await plane.startServer();
    } catch (err) {
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
    return plane;
  }

  /** Starts the server, on the port it had before when it ran already (agents keep that URL). */
  async startServer(): Promise<void> {
    this.server = await startServer(
      {
        host: '127.0.0.1',
        port: this.port,
        tls: { mode: 'none' },
        dataDir: this.dataDir,
        databaseUrl: this.db.url,
        adminPassword: ADMIN_PASSWORD,
        sessionTtlHours: 12,
        trustedProxies: ['127.0.0.1'],
        checkinSeconds: CHECKIN_SECONDS,
        ...this.extra,
      },
      logger.child({ component: 'server' }),
    );
    this.url = this.server.url;
    this.port = Number(new URL(this.url).port);
    if (!this.admin) {
      this.admin = await new ApiClient(this.url, { forwardedFor: nextAddress() }).signIn(
        ADMIN_USERNAME,
        ADMIN_PASSWORD,
      );
    }
  }

  async stopServer(): Promise<void> {
    await this.server.close();
  }

  /** A new agent (registered with the current token), started. */
  async agent(name: string, zone?: string): Promise<TestAgent> {
    const stateDir = await mkdtemp(join(tmpdir(), `porthole-cp-agent-${name}-`));
    this.dirs.push(stateDir);
    const agent = new TestAgent(this, `${name}-${this.run}`, stateDir, zone);
    this.agents.push(agent);
    return agent.start();
  }

  /** A new user in All Users (and `groupIds`), signed in from an address of its own. */
  async user(prefix = 'user', groupIds: string[] = []): Promise<TestUser> {
    this.userSeq += 1;
    const username = `${prefix}-${this.userSeq}@${this.run}.test`;
    return createUser(this.admin, username, USER_PASSWORD, groupIds.length > 0 ? { groupIds } : {});
  }

  async images(): Promise<ImageView[]> {
    return (await this.admin.expect<{ items: ImageView[] }>(200, 'GET', '/api/admin/images')).items;
  }

  async image(name: string): Promise<ImageView> {
    const found = (await this.images()).find((i) => i.name === name);
    if (!found) throw new Error(`no workspace named ${name}`);
    return found;
  }

  patchImage(id: string, patch: ImageUpdate): Promise<ImageView> {
    return this.admin.expect<ImageView>(200, 'PATCH', `/api/admin/images/${id}`, patch);
  }

  /** A new workspace; every user may launch it unless `groupIds` says otherwise. */
  async createImage(input: Partial<ImageCreate> & { name: string }): Promise<ImageView> {
    const all = await this.allUsers();
    return this.admin.expect<ImageView>(201, 'POST', '/api/admin/images', {
      friendlyName: input.name,
      dockerImage: FIREFOX,
      ...SMALL,
      groupIds: [all.id],
      ...input,
    });
  }

  async allUsers(): Promise<GroupView> {
    const groups = (await this.admin.expect<{ items: GroupView[] }>(200, 'GET', '/api/admin/groups')).items;
    const all = groups.find((g) => g.systemRole === 'all_users');
    if (!all) throw new Error('no All Users group');
    return all;
  }

  /** Replaces All Users' settings (a group's settings are replaced as a whole). */
  async setAllUsersSettings(settings: GroupSettings): Promise<GroupView> {
    const all = await this.allUsers();
    return this.admin.expect<GroupView>(200, 'PATCH', `/api/admin/groups/${all.id}`, { settings });
  }

  async zones(): Promise<ZoneView[]> {
    return (await this.admin.expect<{ items: ZoneView[] }>(200, 'GET', '/api/admin/zones')).items;
  }

  async defaultZone(): Promise<ZoneView> {
    const z = (await this.zones()).find((zone) => zone.isDefault);
    if (!z) throw new Error('no default zone');
    return z;
  }

  /** Runs SQL on the test database with a short-lived connection of its own. */
  sql<R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    return query<R>(this.db.url, text, values);
  }

  /**
   * Stops what the file started: staging pools, then (once no launch is still being driven, so
   * nothing is left talking to a closed database) every session, the agents, their containers,
   * the server and the database.
   */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (err) {
        errors.push(err);
      }
    };
    if (this.server) {
      await step(async () => {
        const pools = await this.admin.get<{ items: StagingView[] }>('/api/admin/staging');
        for (const p of pools.body?.items ?? []) await this.admin.delete(`/api/admin/staging/${p.id}`);
      });
      await step(() =>
        until(
          'launches in flight to settle',
          async () =>
            (
              await this.sql<{ n: number }>(
                `select count(*)::int as n from sessions
                 where ended_at is null and state in ('requested', 'provisioning', 'starting')`,
              )
            )[0]?.n === 0,
          120_000,
          500,
        ),
      );
      await step(async () => {
        const live = await this.admin.get<{ items: SessionView[] }>('/api/admin/sessions');
        for (const s of live.body?.items ?? []) await this.admin.delete(`/api/admin/sessions/${s.id}`);
      });
    }
    for (const a of this.agents) await step(() => a.stop());
    for (const a of this.agents) await step(() => removeAgentContainers(a));
    if (this.server) await step(() => this.server.close());
    await step(() => this.db.drop());
    for (const d of this.dirs) await step(() => rm(d, { recursive: true, force: true }));
    if (errors.length > 0) throw new AggregateError(errors, 'control plane cleanup failed');
  }
}

async function removeAgentContainers(agent: TestAgent): Promise<void> {
  let id: string;
  try {
    id = agent.id;
  } catch {
    return;
  }
  const left = await docker.listContainers({ all: true, filters: { label: [`io.porthole.agent=${id}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
}

// ---- sessions ----

export async function launch(api: ApiClient, imageId: string, extra: Record<string, unknown> = {}) {
  return api.post<SessionView & ErrorBody>('/api/sessions', { imageId, ...extra });
}

export async function session(api: ApiClient, id: string): Promise<SessionView> {
  return api.expect<SessionView>(200, 'GET', `/api/sessions/${id}`);
}

export async function events(api: ApiClient, id: string): Promise<SessionEvent[]> {
  return (await api.expect<{ items: SessionEvent[] }>(200, 'GET', `/api/sessions/${id}/events`)).items;
}

/** Polls until the session is in `state`; fails early when it ends in another state. */
export function waitState(
  api: ApiClient,
  id: string,
  state: SessionState,
  timeoutMs = 60_000,
): Promise<SessionView> {
  return until(
    `session ${id} to be ${state}`,
    async () => {
      const s = await session(api, id);
      if (s.state === state) return s;
      if ((s.state === 'error' || s.state === 'deleted') && state !== s.state)
        throw new Error(`session ${id} is ${s.state} (${s.stateReason ?? ''}), not ${state}`);
      return undefined;
    },
    timeoutMs,
    100,
  );
}

/** The containers Docker has for a session (all states). */
export async function containersOf(sessionId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.porthole.session=${sessionId}`] } });
}

/** The one container of a session, inspected. */
export async function containerOf(sessionId: string): Promise<Docker.ContainerInspectInfo> {
  const list = await containersOf(sessionId);
  if (list.length !== 1 || !list[0])
    throw new Error(`session ${sessionId} has ${list.length} containers, expected 1`);
  return docker.getContainer(list[0].Id).inspect();
}

/**
 * Opens the session's stream through the server's embedded proxy as `api`'s browser would
 * (`/session/<id>/websockify`, subprotocol binary, the sign-in cookie) and returns the first 12
 * bytes the workspace sends: the RFB banner. It then completes the handshake as noVNC does
 * (version, security type None, result) before closing: TigerVNC counts connections that close
 * before authenticating and, after five from one address (all of websockify's come from
 * 127.0.0.1), refuses everyone for a while with an RFB 3.3 "Too many security failures". Porthole's
 * images turn that blacklist off; a refusal is still reported as one, for images that do not.
 */
export function rfbBanner(api: ApiClient, sessionId: string, timeoutMs = 15_000): Promise<string> {
  const url = `${api.baseUrl.replace(/^http/, 'ws')}/session/${sessionId}/websockify`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['binary'], {
      headers: { origin: pageOrigin(url), ...(api.cookieHeader ? { cookie: api.cookieHeader } : {}) },
    });
    let received = Buffer.alloc(0);
    let banner = '';
    let stage: 'banner' | 'types' | 'result' = 'banner';
    let settled = false;
    const done = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      if (err) reject(err);
      else resolve(banner);
    };
    const timer = setTimeout(
      () => done(new Error(`no RFB banner from ${url} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    /** A failure reason (u32 length + text) at `at`, once it is all there. */
    const reasonAt = (at: number): string | null => {
      if (received.length < at + 4) return null;
      const length = received.readUInt32BE(at);
      if (received.length < at + 4 + length) return null;
      return received.subarray(at + 4, at + 4 + length).toString('latin1');
    };
    ws.on('message', (data: RawData) => {
      const chunk = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data as ArrayBuffer);
      received = Buffer.concat([received, chunk]);
      if (stage === 'banner') {
        if (received.length < 12) return;
        banner = received.subarray(0, 12).toString('latin1');
        if (banner === 'RFB 003.003\n') {
          // How TigerVNC refuses a connection: a zero security type, then the reason.
          const reason = reasonAt(16);
          if (reason !== null) done(new Error(`refused by the workspace: ${reason}`));
          return;
        }
        ws.send(Buffer.from('RFB 003.008\n', 'latin1'));
        received = received.subarray(12);
        stage = 'types';
      }
      if (stage === 'types') {
        const count = received[0];
        if (count === undefined) return;
        if (count === 0) {
          const reason = reasonAt(1);
          if (reason !== null) done(new Error(`refused by the workspace: ${reason}`));
          return;
        }
        if (received.length < 1 + count) return;
        const types = [...received.subarray(1, 1 + count)];
        received = received.subarray(1 + count);
        if (!types.includes(1)) {
          done(null);
          return;
        }
        ws.send(Buffer.from([1]));
        stage = 'result';
      }
      if (stage === 'result' && received.length >= 4) {
        const result = received.readUInt32BE(0);
        done(result === 0 ? null : new Error(`security result ${result}: ${reasonAt(4) ?? ''}`));
      }
    });
    ws.on('unexpected-response', (_req, res) => done(new Error(`${url}: HTTP ${res.statusCode}`)));
    ws.on('error', (err) => done(err));
    ws.on('close', (code) => done(new Error(`${url} closed (${code}) during the RFB handshake`)));
  });
}

/**
 * One connection straight to a workspace's websockify (`kasm_user:$VNC_PW`), closed as soon as the
 * 12-byte banner is in, without authenticating to the VNC server behind it.
 */
export function bannerOnly(port: number, password: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/websockify`, ['binary'], {
      rejectUnauthorized: false,
      headers: { authorization: `Basic ${Buffer.from(`kasm_user:${password}`).toString('base64')}` },
    });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no banner on port ${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('message', (data: RawData) => {
      received = Buffer.concat([received, Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)]);
      if (received.length < 12) return;
      clearTimeout(timer);
      ws.terminate();
      resolve(received.subarray(0, 12).toString('latin1'));
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
