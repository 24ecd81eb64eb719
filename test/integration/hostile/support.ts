import type { ApiKeyCreated, ApiKeyPermission, GroupView, ImageView, ZoneView } from '@porthole/contracts';
import { apiKeyPermissions } from '@porthole/contracts';
import pg from 'pg';
import { FakeAgent } from '../../reliability/support/fake-agent.js';
import { ApiClient, createUser, nextAddress, type SignedInUser } from '../../support/http.js';
import { query } from '../support/database.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestServer, type TestServer } from '../support/server.js';

/**
 * One server (in this process, on a fresh database of the external test Postgres) with what the
 * hostile-input tests aim at: a fake agent over HTTP (no Docker), a workspace on it, an owner with
 * a running shared session, a stranger, a viewer who joined by the share link, an administrator,
 * one API key per permission (plus a read-only global_admin key), and spare rows to patch.
 */
export const USER_PASSWORD = 'hostile-user-password';
export const FAKE_IMAGE = 'porthole/hostile-fake:latest';

export type Person = SignedInUser;

export interface HostileStack {
  ts: TestServer;
  url: string;
  admin: ApiClient;
  owner: Person;
  stranger: Person;
  viewer: Person;
  agent: FakeAgent;
  /** A second fake agent that never checks in by itself (check-in bodies are fuzzed for it). */
  spareAgent: FakeAgent;
  workspace: ImageView;
  spareWorkspace: ImageView;
  allUsers: GroupView;
  spareGroup: GroupView;
  spareUser: Person;
  spareZone: ZoneView;
  defaultZone: ZoneView;
  sessionId: string;
  shareId: string;
  stagingId: string;
  keys: Map<string, ApiKeyCreated>;
  spareKey: ApiKeyCreated;
  registrationToken: string;
  sql<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

let seq = 0;

export async function startHostileStack(tag: string): Promise<HostileStack> {
  const ts = await startTestServer({ trustedProxies: ['127.0.0.1'], checkinSeconds: 2 });
  const url = ts.server.url;
  const closers: Array<() => Promise<void>> = [() => ts.stop()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const admin = await new ApiClient(url, { forwardedFor: nextAddress() }).signIn(
      ADMIN_USERNAME,
      ADMIN_PASSWORD,
    );
    const person = async (prefix: string): Promise<Person> => {
      seq += 1;
      const username = `${prefix}-${seq}@${tag}.test`;
      return createUser(admin, username, USER_PASSWORD);
    };
    const groups = (await admin.expect<{ items: GroupView[] }>(200, 'GET', '/api/admin/groups')).items;
    const allUsersGroup = groups.find((g) => g.systemRole === 'all_users');
    if (!allUsersGroup) throw new Error('no All Users group');
    const allUsers = await admin.expect<GroupView>(200, 'PATCH', `/api/admin/groups/${allUsersGroup.id}`, {
      settings: { ...allUsersGroup.settings, allow_sharing: true, max_sessions_per_user: 20 },
    });
    const zones = (await admin.expect<{ items: ZoneView[] }>(200, 'GET', '/api/admin/zones')).items;
    const defaultZone = zones.find((z) => z.isDefault);
    if (!defaultZone) throw new Error('no default zone');
    const spareZone = await admin.expect<ZoneView>(201, 'POST', '/api/admin/zones', { name: `spare-${tag}` });
    const workspace = await admin.expect<ImageView>(201, 'POST', '/api/admin/images', {
      name: `hostile-${tag}`,
      friendlyName: 'Hostile',
      dockerImage: FAKE_IMAGE,
      cores: 0.1,
      memoryMb: 64,
      groupIds: [allUsers.id],
    });
    const spareWorkspace = await admin.expect<ImageView>(201, 'POST', '/api/admin/images', {
      name: `spare-${tag}`,
      friendlyName: 'Spare',
      dockerImage: 'porthole/hostile-spare:latest',
      cores: 0.1,
      memoryMb: 64,
      enabled: false,
    });
    const spareGroup = await admin.expect<GroupView>(201, 'POST', '/api/admin/groups', {
      name: `spare-${tag}`,
    });
    const registrationToken = (
      await admin.expect<{ token: string }>(200, 'GET', '/api/admin/agents/registration-token')
    ).token;
    const agent = await FakeAgent.start({
      serverUrl: url,
      token: registrationToken,
      name: `fake-${tag}`,
      images: [FAKE_IMAGE],
      checkinMs: 1000,
    });
    closers.push(() => agent.close());
    const spareAgent = await FakeAgent.start({
      serverUrl: url,
      token: registrationToken,
      name: `spare-${tag}`,
      images: [],
      checkinMs: 0,
    });
    closers.push(() => spareAgent.close());
    // Keep the spare agent from taking sessions: only the main fake agent places them.
    await admin.expect(200, 'PATCH', `/api/admin/agents/${spareAgent.agentId}`, { enabled: false });

    const owner = await person('owner');
    const stranger = await person('stranger');
    const viewer = await person('viewer');
    const spareUser = await person('spare');
    const launched = await owner.api.expect<{ id: string }>(201, 'POST', '/api/sessions', {
      imageId: workspace.id,
    });
    const sessionId = launched.id;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await owner.api.expect<{ state: string }>(200, 'GET', `/api/sessions/${sessionId}`);
      if (s.state === 'running') break;
      if (Date.now() > deadline) throw new Error(`session ${sessionId} is ${s.state}, not running`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const share = await owner.api.expect<{ shareId: string }>(
      200,
      'POST',
      `/api/sessions/${sessionId}/share`,
    );
    await viewer.api.expect(200, 'POST', `/api/shares/${share.shareId}/join`);
    const staging = await admin.expect<{ id: string }>(201, 'POST', '/api/admin/staging', {
      zoneId: defaultZone.id,
      imageId: spareWorkspace.id,
      desiredCount: 0,
    });
    const keys = new Map<string, ApiKeyCreated>();
    for (const p of apiKeyPermissions) {
      keys.set(
        p,
        await admin.expect<ApiKeyCreated>(201, 'POST', '/api/admin/api-keys', {
          name: `key ${p}`,
          permissions: [p] satisfies ApiKeyPermission[],
        }),
      );
    }
    keys.set(
      'global_admin:read-only',
      await admin.expect<ApiKeyCreated>(201, 'POST', '/api/admin/api-keys', {
        name: 'key global_admin read-only',
        permissions: ['global_admin'],
        readOnly: true,
      }),
    );
    const spareKey = await admin.expect<ApiKeyCreated>(201, 'POST', '/api/admin/api-keys', {
      name: 'spare key',
      permissions: [],
    });
    return {
      ts,
      url,
      admin,
      owner,
      stranger,
      viewer,
      agent,
      spareAgent,
      workspace,
      spareWorkspace,
      allUsers,
      spareGroup,
      spareUser,
      spareZone,
      defaultZone,
      sessionId,
      shareId: share.shareId,
      stagingId: staging.id,
      keys,
      spareKey,
      registrationToken,
      sql: (text, values = []) => query(ts.database.url, text, values),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** `Authorization` for an API key (the native API's Bearer form). */
export function bearer(key: ApiKeyCreated): string {
  return `Bearer ${key.api_key}:${key.api_key_secret}`;
}

/** `Authorization` for an API key in Basic form (the developer API accepts it). */
export function basic(key: ApiKeyCreated): string {
  return `Basic ${Buffer.from(`${key.api_key}:${key.api_key_secret}`).toString('base64')}`;
}

/**
 * Columns that change without any request (check-ins, sign-in bookkeeping, background loops):
 * left out of the fingerprint so it moves only when a request writes.
 */
const VOLATILE: Record<string, string[]> = {
  agents: ['last_checkin_at', 'offline_since', 'resources', 'images', 'version'],
  auth_sessions: ['last_seen_at'],
  api_keys: ['last_used_at'],
  // A launch that was accepted goes on in the background (provisioning sets these; it stamps and
  // clears its driver lease key and drops the per-session environment once the container exists).
  sessions: [
    'driver_key',
    'environment',
    'last_activity_at',
    'updated_at',
    'keepalive_at',
    'state',
    'state_reason',
    'running_at',
    'container_id',
    'ended_at',
  ],
  users: ['last_login_at'],
};
/** Append-only logs a background loop may extend: only which sessions they name counts. */
const KEY_ONLY: Record<string, string> = { session_events: 'session_id' };
/**
 * Tables only ever written after an accepted change commits and emptied by agents' check-ins
 * (pending disconnects): left out, as a check-in may empty one while a rejected body is checked.
 */
const BACKGROUND: ReadonlySet<string> = new Set(['pending_disconnects']);
/**
 * Rows a refused request is meant to write: the audit log records every failed sign-in (issue
 * 19). Every other audit entry still counts, so a rejected admin change that audited itself fails.
 */
const EXPECTED_ROWS: Record<string, string> = { audit_log: `action <> 'auth.sign_in_failed'` };

/**
 * A fingerprint of every table's contents: equal fingerprints before and after a rejected request
 * mean it wrote nothing, not even part of a change.
 */
export class Fingerprinter {
  private statement: string | null = null;
  private readonly client: pg.Client;
  private connected: Promise<void> | null = null;

  constructor(databaseUrl: string) {
    this.client = new pg.Client({ connectionString: databaseUrl });
  }

  /** A fingerprint of every table (one query on a connection of its own). */
  async take(): Promise<Record<string, string>> {
    this.connected ??= this.client.connect().then(() => undefined);
    await this.connected;
    this.statement ??= await fingerprintQuery(this.client);
    const { rows } = await this.client.query<Record<string, string>>(this.statement);
    return rows[0] ?? {};
  }

  async close(): Promise<void> {
    if (this.connected) await this.client.end().catch(() => undefined);
  }
}

async function fingerprintQuery(client: pg.Client): Promise<string> {
  const { rows: tables } = await client.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const { rows: columns } = await client.query<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns where table_schema = 'public' order by ordinal_position`,
  );
  const parts = tables
    .filter(({ table_name: t }) => !BACKGROUND.has(t))
    .map(({ table_name: t }) => {
      let row: string;
      if (KEY_ONLY[t]) row = `distinct ${KEY_ONLY[t]}::text`;
      else if (VOLATILE[t]) {
        const keep = columns
          .filter((c) => c.table_name === t && !VOLATILE[t]?.includes(c.column_name))
          .map((c) => `"${c.column_name}"`);
        row = `row(${keep.join(', ')})::text`;
      } else row = `x::text`;
      const where = EXPECTED_ROWS[t] ? ` where ${EXPECTED_ROWS[t]}` : '';
      return `(select count(*) || ':' || coalesce(md5(string_agg(r, '|' order by r)), '') from (select ${row} as r from "${t}" x${where}) y) as "${t}"`;
    });
  return `select ${parts.join(', ')}`;
}

/** Table names whose fingerprint differs. */
export function changedTables(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((t) => a[t] !== b[t]);
}
