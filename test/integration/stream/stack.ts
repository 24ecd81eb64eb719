import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { type RunningAgent, startAgent } from '@porthole/agent';
import type { AdminUserView, AgentView, GroupView, ImageView, SessionView } from '@porthole/contracts';
import pino from 'pino';
import { ApiClient, nextAddress } from '../../support/http.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestServer, type TestServer } from '../support/server.js';
import { TempDirs } from '../support/temp.js';
import { freePort } from './nginx.js';

const run = promisify(execFile);
export const FIREFOX_IMAGE = process.env.PORTHOLE_TEST_FIREFOX_IMAGE ?? 'porthole/firefox:latest';
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const USER_PASSWORD = 'stream-password-123';

/** Whether Docker answers and holds the firefox workspace image. */
export async function firefoxImagePresent(): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', FIREFOX_IMAGE], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A signed-in browser stand-in with a client address of its own (the server trusts 127.0.0.1). */
export interface Person {
  browser: ApiClient;
  userId: string;
  username: string;
}

/**
 * The real server (fresh database, check-ins every second, 127.0.0.1 trusted as a proxy) and a
 * real agent on the local Docker, a small firefox workspace, and four people: the owner (a plain
 * user), a second administrator (a viewer of others' sessions), a stranger (a plain user with a
 * session of their own) and the built-in admin.
 */
export interface StreamStack {
  t: TestServer;
  agent: RunningAgent;
  image: ImageView;
  admin: Person;
  owner: Person;
  otherAdmin: Person;
  stranger: Person;
  /** The port reserved for the test nginx, whose origin (https://127.0.0.1:<port>) the server allows. */
  nginxPort: number;
  /** Launches a session as `who`, waits for `running`. */
  launch(who: Person): Promise<SessionView>;
  /** A new signed-in browser for `who` (its own cookie). */
  signIn(username: string): Promise<ApiClient>;
  stop(): Promise<void>;
}

export async function startStreamStack(label: string): Promise<StreamStack> {
  const temps = new TempDirs();
  const nginxPort = await freePort();
  const t = await startTestServer({
    checkinSeconds: 1,
    trustedProxies: ['127.0.0.1'],
    allowedOrigins: [`https://127.0.0.1:${nginxPort}`],
  });
  const launched: string[] = [];
  let agent: RunningAgent | undefined;
  const signIn = async (username: string, password = USER_PASSWORD) =>
    new ApiClient(t.server.url, { forwardedFor: nextAddress() }).signIn(username, password);
  try {
    const adminBrowser = await signIn(ADMIN_USERNAME, ADMIN_PASSWORD);
    const me = (await adminBrowser.get('/api/auth/me')).json<{ user: { id: string } }>();
    const admin: Person = { browser: adminBrowser, userId: me.user.id, username: ADMIN_USERNAME };
    const token = (await adminBrowser.get('/api/admin/agents/registration-token')).json<{ token: string }>()
      .token;
    agent = await startAgent(
      {
        serverUrl: t.server.url,
        token,
        name: `stream-${label}-${randomUUID().slice(0, 6)}`,
        listen: { host: '127.0.0.1', port: 0 },
        dockerHost: `unix://${SOCKET}`,
        stateDir: await temps.make('porthole-stream-agent-'),
        checkinIntervalSeconds: 1,
      },
      pino({ level: process.env.PORTHOLE_TEST_LOG ?? 'silent' }),
    );
    const agentId = agent.agentId;
    await until('the agent to hold the firefox image', async () => {
      const a = (await adminBrowser.get(`/api/admin/agents/${agentId}`)).json<AgentView>();
      return a.status === 'online' && a.images.some((i) => i.ref === FIREFOX_IMAGE && i.state === 'present')
        ? a
        : undefined;
    });
    const groups = (await adminBrowser.get('/api/admin/groups')).json<{ items: GroupView[] }>().items;
    const groupOf = (role: GroupView['systemRole']) => groups.find((g) => g.systemRole === role)?.id;
    const created = await adminBrowser.post('/api/admin/images', {
      name: `stream-ff-${randomUUID().slice(0, 6)}`,
      friendlyName: 'Stream test firefox',
      dockerImage: FIREFOX_IMAGE,
      cores: 0.25,
      memoryMb: 1536,
      agentId,
      groupIds: [groupOf('all_users')].filter((g): g is string => g !== undefined),
    });
    if (created.status !== 201) throw new Error(`image create failed: ${created.text}`);
    const image = created.json<ImageView>();

    const person = async (username: string, isAdmin: boolean): Promise<Person> => {
      const adminsGroup = groupOf('administrators');
      const r = await adminBrowser.post('/api/admin/users', {
        username,
        password: USER_PASSWORD,
        ...(isAdmin && adminsGroup ? { groupIds: [adminsGroup] } : {}),
      });
      if (r.status !== 201) throw new Error(`user create failed: ${r.text}`);
      return { browser: await signIn(username), userId: r.json<AdminUserView>().id, username };
    };
    const owner = await person(`owner-${label}@example.com`, false);
    const otherAdmin = await person(`admin2-${label}@example.com`, true);
    const stranger = await person(`stranger-${label}@example.com`, false);

    const launch = async (who: Person): Promise<SessionView> => {
      const r = await who.browser.post('/api/sessions', { imageId: image.id });
      if (r.status !== 201) throw new Error(`launch failed: ${r.status} ${r.text}`);
      const id = r.json<SessionView>().id;
      launched.push(id);
      return until(`session ${id} to run`, async () => {
        const s = (await who.browser.get(`/api/sessions/${id}`)).json<SessionView>();
        if (s.state === 'error') throw new Error(`session failed: ${s.stateReason}`);
        return s.state === 'running' ? s : undefined;
      });
    };
    const running = agent;
    return {
      t,
      agent: running,
      image,
      nginxPort,
      admin,
      owner,
      otherAdmin,
      stranger,
      launch,
      signIn: (username) => signIn(username),
      async stop() {
        t.server.services.proxy.setLocalGateway(undefined);
        for (const id of launched) await adminBrowser.request('DELETE', `/api/admin/sessions/${id}`);
        await running.close();
        await removeContainers(launched);
        await t.stop();
        await temps.cleanup();
      },
    };
  } catch (err) {
    await agent?.close();
    await removeContainers(launched);
    await t.stop();
    await temps.cleanup();
    throw err;
  }
}

/** Whatever containers of these sessions are left (a test failed midway) go. */
async function removeContainers(sessionIds: string[]): Promise<void> {
  for (const id of sessionIds) {
    const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=io.porthole.session=${id}`]);
    const ids = stdout.split('\n').filter((s) => s.length > 0);
    if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]);
  }
}

/** The session's container id, from its label. */
export async function containerOf(sessionId: string): Promise<string> {
  const { stdout } = await run('docker', ['ps', '-q', '--filter', `label=io.porthole.session=${sessionId}`]);
  const id = stdout.trim().split('\n')[0];
  if (!id) throw new Error(`no container for session ${sessionId}`);
  return id;
}

/** Waits until the gateway and the embedded proxy relay no stream any more. */
export async function drained(stack: StreamStack): Promise<void> {
  await until(
    'every relayed stream to close',
    async () =>
      stack.agent.gateway.stats().activeStreams === 0 && stack.t.server.services.proxy.activeStreams === 0
        ? true
        : undefined,
    10_000,
    50,
  );
}
