import type { ChatServerMessage, HealthResponse } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RfbClient } from '../integration/stream/rfb.js';
import { createTestDatabase, type TestDatabase } from '../integration/support/database.js';
import { pageOrigin } from '../support/http.js';
import { recordFigure, Steps } from './support/figures.js';
import {
  DOCKER_SOCKET,
  ensureRfbLiteImage,
  RFB_LITE_IMAGE,
  removeAgentContainers,
} from './support/images.js';
import { assertBuilt, stopAllChildren } from './support/processes.js';
import { rfbBanner } from './support/rfb.js';
import { OwnRedis } from './support/services.js';
import { AgentProcess, Plane, ServerProcess, type TestUser, waitState } from './support/stack.js';
import { until } from './support/wait.js';

/**
 * Scenario 3c — Redis (the share bus) dies under a running server. `porthole server` uses a Redis
 * of the scenario's own; a session streams through the server's proxy and its chat socket is open.
 * Redis is killed (SIGKILL), then started again, empty. Proven: the chat socket is told
 * `{"type":"status","available":false}` and a message sent meanwhile gets "chat is unavailable";
 * the stream already open keeps delivering framebuffer updates and new streams open; health stays
 * 200; once Redis is back the chat says available again and messages flow, without a restart.
 */
let redis: OwnRedis;
let db: TestDatabase;
let server: ServerProcess;
let agent: AgentProcess;
let plane: Plane;
let owner: TestUser;
let sessionId = '';

/** The chat socket of a session, with every message it received. */
class Chat {
  readonly received: ChatServerMessage[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.received.push(JSON.parse(data.toString()) as ChatServerMessage));
  }

  static open(baseUrl: string, id: string, cookie: string): Promise<Chat> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/sessions/${id}/chat`, {
      headers: { origin: pageOrigin(baseUrl), cookie },
      handshakeTimeout: 15_000,
    });
    const chat = new Chat(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(chat));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`chat upgrade: HTTP ${res.statusCode}`)),
      );
    });
  }

  send(text: string): void {
    this.ws.send(JSON.stringify({ type: 'message', text }));
  }

  /** Waits for a message matching `match` received after index `from`. */
  waitFor(what: string, match: (m: ChatServerMessage) => boolean, from = 0, timeoutMs = 30_000) {
    return until(what, async () => this.received.slice(from).find(match), timeoutMs, 50);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.ws.terminate();
  }
}

beforeAll(async () => {
  const steps = new Steps('redis-stop');
  await assertBuilt();
  await ensureRfbLiteImage();
  redis = await OwnRedis.start();
  db = await createTestDatabase('rel_redis');
  server = await ServerProcess.create({ databaseUrl: db.url, redisUrl: redis.url });
  await server.start();
  plane = await new Plane(server.url, db.url).signInAdmin();
  const imageId = (await plane.workspace({ name: `lite-${plane.run}`, dockerImage: RFB_LITE_IMAGE })).id;
  agent = await AgentProcess.create({
    name: `redis-${plane.run}`,
    serverUrl: server.url,
    token: await plane.registrationToken(),
    dockerSocket: DOCKER_SOCKET,
  });
  await agent.start();
  await plane.waitAgentReady(agent.agentId, [RFB_LITE_IMAGE]);
  owner = await plane.user('chatty');
  sessionId = (await owner.api.expect<{ id: string }>(201, 'POST', '/api/sessions', { imageId })).id;
  await waitState(owner.api, sessionId, 'running', 180_000);
  steps.mark('session running');
}, 400_000);

afterAll(async () => {
  if (sessionId) await owner?.api.delete(`/api/sessions/${sessionId}`).catch(() => undefined);
  if (agent?.agentId) await removeAgentContainers(agent.agentId);
  await agent?.cleanup();
  await server?.cleanup();
  await stopAllChildren();
  await redis?.cleanup();
  await db?.drop();
});

describe('Redis dies under the server', () => {
  it('degrades chat to unavailable while streams go on, and chat comes back by itself', async () => {
    const cookie = owner.api.cookieHeader ?? '';
    const stream = await RfbClient.open(
      `${server.url.replace(/^http/, 'ws')}/session/${sessionId}/websockify`,
      {
        headers: { cookie },
      },
    );
    const init = await stream.handshake();
    expect(init.banner).toBe('RFB 003.008\n');
    stream.setRawEncoding();
    stream.requestUpdate(false, 16, 16);
    expect((await stream.readRawUpdate()).length).toBeGreaterThan(0);

    const chat = await Chat.open(server.url, sessionId, cookie);
    await chat.waitFor('chat to be available', (m) => m.type === 'status' && m.available);
    chat.send('before the outage');
    await chat.waitFor(
      'the message to come back',
      (m) => m.type === 'message' && m.message.text === 'before the outage',
    );

    const killedAt = Date.now();
    let mark = chat.received.length;
    await redis.kill();
    await chat.waitFor('chat to say unavailable', (m) => m.type === 'status' && !m.available, mark);
    const noticeSeconds = (Date.now() - killedAt) / 1000;
    mark = chat.received.length;
    chat.send('during the outage');
    const refused = await chat.waitFor('the message to be refused', (m) => m.type === 'error', mark);
    expect(refused).toMatchObject({ type: 'error', message: 'chat is unavailable right now' });
    expect(chat.open).toBe(true);

    // Streams are not on the bus: the open one keeps updating, a new one opens, health is 200.
    for (let i = 0; i < 3; i += 1) {
      stream.requestUpdate(false, 16, 16);
      expect((await stream.readRawUpdate()).length).toBeGreaterThan(0);
    }
    expect(stream.closed).toBe(false);
    expect(await rfbBanner(owner.api, sessionId)).toBe('RFB 003.008\n');
    const health = await owner.api.get<HealthResponse>('/api/health');
    expect(health.status).toBe(200);
    expect(health.body.bus).toBe('redis');

    mark = chat.received.length;
    const resumedAt = Date.now();
    await redis.resume();
    await chat.waitFor('chat to be available again', (m) => m.type === 'status' && m.available, mark, 60_000);
    const backSeconds = (Date.now() - resumedAt) / 1000;
    mark = chat.received.length;
    chat.send('after the outage');
    await chat.waitFor(
      'a message to flow again',
      (m) => m.type === 'message' && m.message.text === 'after the outage',
      mark,
    );
    stream.requestUpdate(false, 16, 16);
    expect((await stream.readRawUpdate()).length).toBeGreaterThan(0);
    expect(server.child?.running).toBe(true);
    chat.close();
    stream.ws.terminate();
    recordFigure('redis-stop', {
      chatUnavailableNoticeAfterSeconds: Math.round(noticeSeconds * 10) / 10,
      chatAvailableAgainAfterSeconds: Math.round(backSeconds * 10) / 10,
      streamUpdatesDuringOutage: 3,
    });
  });
});
