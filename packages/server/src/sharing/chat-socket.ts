import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type ChatMessage,
  type ChatServerMessage,
  chatClientMessageSchema,
  type PresenceEntry,
  SESSION_ENDED_CLOSE_CODE,
  STREAM_ACCESS_CHANGED_CLOSE_CODE,
  STREAM_REMOVED_CLOSE_CODE,
} from '@porthole/contracts';
import { type WebSocket, WebSocketServer } from 'ws';
import { upgradeCaller } from '../auth/session-cookie.js';
import { type BusEvent, PRESENCE_REFRESH_MS, type ShareBus } from '../bus/share-bus.js';
import type { Caller } from '../http/caller.js';
import type { Clock } from '../platform/clock.js';
import { newId, signInId } from '../platform/crypto.js';
import type { SharingService } from './sharing-service.js';

const PATH = /^\/api\/sessions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/chat$/;

/** Close codes the web app can tell apart: removed (kick, share revoked) and session ended. */
/** Each user may post this many messages per window in a session, across tabs and replicas. */
export const RATE_MAX = 10;
export const RATE_WINDOW_MS = 10_000;

export function isChatPath(path: string): boolean {
  return PATH.test(path);
}

export interface ChatDeps {
  sharing: Pick<SharingService, 'roleOf' | 'standing' | 'sessionEnded' | 'onShutdown'>;
  bus: ShareBus;
  clock: Clock;
  auth: { resolveSession(token: string): Promise<Caller | null> };
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * The chat beside a shared session: history replayed on connect, messages in order through
 * the share bus, presence, and join/leave notices. Text only; the browser renders it as text.
 */
export class ChatSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  /** Close handlers still writing presence and leave notices to the bus. */
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly deps: ChatDeps) {
    deps.sharing.onShutdown(() => this.close());
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.accept(req, socket, head).catch((err: unknown) => {
      this.deps.log.warn({ err: String(err) }, 'chat upgrade failed');
      socket.destroy();
    });
  }

  private async accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const sessionId = PATH.exec((req.url ?? '').split('?')[0] ?? '')?.[1];
    const caller = await upgradeCaller(this.deps.auth, req);
    const reject = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (!caller) return reject(401, 'Unauthorized');
    const role = sessionId ? await this.deps.sharing.roleOf(caller, sessionId) : null;
    if (!sessionId || !role) return reject(404, 'Not Found');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.serve(ws, sessionId, caller, { userId: caller.userId, username: caller.username, role });
    });
  }

  private async serve(ws: WebSocket, sessionId: string, caller: Caller, me: PresenceEntry): Promise<void> {
    const { bus, clock } = this.deps;
    const connectionId = newId();
    const mySignIn = caller.sessionTokenHash ? signInId(caller.sessionTokenHash) : null;
    const send = (m: ChatServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const notice = (kind: 'join' | 'leave', text: string): ChatMessage => ({
      id: newId(),
      kind,
      userId: me.userId,
      username: me.username,
      text,
      at: clock.now().toISOString(),
    });
    // Set when the session ended: the socket closes without a leave notice or presence update,
    // which would otherwise write the chat history back right after it was cleared.
    let ended = false;
    let lastPresence = '';
    const onEvent = (e: BusEvent) => {
      if (e.type === 'chat') send({ type: 'message', message: e.message });
      else if (e.type === 'presence') {
        lastPresence = presenceSignature(e.users);
        send({ type: 'presence', users: e.users });
      } else if (e.type === 'end') {
        ended = true;
        send({ type: 'error', message: e.reason });
        ws.close(SESSION_ENDED_CLOSE_CODE, e.reason.slice(0, 100));
      } else if (
        e.type === 'kick' &&
        (e.userId === me.userId || (e.userId === null && me.role !== 'owner'))
      ) {
        send({ type: 'error', message: e.reason });
        ws.close(STREAM_REMOVED_CLOSE_CODE, e.reason.slice(0, 100));
      } else if (
        e.type === 'signed-out' &&
        e.userId === me.userId &&
        (e.signIn === null || e.signIn === mySignIn) &&
        (e.exceptSignIn === null || e.exceptSignIn !== mySignIn)
      ) {
        // Not final like a kick: the page reconnects, gets 401 and shows the sign-in page.
        send({ type: 'error', message: 'signed out' });
        ws.close(STREAM_ACCESS_CHANGED_CLOSE_CODE, 'signed out');
      }
    };
    let unsubscribe: (() => Promise<void>) | undefined;
    // (Re)joins the bus: on connect, and again when Redis comes back after an outage.
    const join = async () => {
      try {
        unsubscribe ??= await bus.subscribe(sessionId, onEvent);
        send({ type: 'status', available: true });
        send({ type: 'history', messages: await bus.history(sessionId) });
        const users = await bus.setPresence(sessionId, connectionId, me);
        await bus.publish(sessionId, { type: 'presence', users });
      } catch {
        send({ type: 'status', available: false });
      }
    };
    // Postgres decides who may stay. Asked again when the bus comes back (a kick, revoke or end
    // published meanwhile never arrived) and on every presence refresh (a session can also end
    // without the end hook, e.g. failed by a check-in: then its chat is cleared from here).
    const recheck = async (): Promise<boolean> => {
      const standing = await this.deps.sharing.standing(caller, sessionId).catch(() => me.role);
      if (standing === 'ended') {
        await this.deps.sharing.sessionEnded(sessionId).catch(() => undefined);
        if (!closed) onEvent({ type: 'end', reason: 'the session ended' });
        return false;
      }
      if (standing) return true;
      send({ type: 'error', message: 'you no longer have access to this session' });
      ws.close(STREAM_REMOVED_CLOSE_CODE, 'access withdrawn');
      return false;
    };
    // Joins run one after another, and the close handler waits for the one in flight, so a socket
    // closed mid-join leaves no presence entry or subscription behind.
    let closed = false;
    let joining: Promise<void> = Promise.resolve();
    const stopWatching = bus.onAvailability((available) => {
      if (!available) return send({ type: 'status', available: false });
      joining = joining.then(async () => {
        if (!closed && (await recheck())) await join();
      });
    });
    // Keeps this connection's presence entry fresh; when the answer differs from the last
    // presence everyone got (a crashed replica's entries expired), everyone gets the new one.
    const refresh = setInterval(() => {
      joining = joining
        .then(async () => {
          if (closed || !(await recheck()) || !bus.available()) return;
          const users = await bus.setPresence(sessionId, connectionId, me);
          if (presenceSignature(users) !== lastPresence)
            await bus.publish(sessionId, { type: 'presence', users });
        })
        .catch(() => undefined);
    }, PRESENCE_REFRESH_MS);
    refresh.unref();
    const unavailable = () => send({ type: 'error', message: 'chat is unavailable right now' });
    const handle = async (raw: string): Promise<void> => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return send({ type: 'error', message: 'messages are JSON: {"type":"message","text":"…"}' });
      }
      const msg = chatClientMessageSchema.safeParse(parsed);
      if (!msg.success)
        return send({ type: 'error', message: msg.error.issues[0]?.message ?? 'invalid message' });
      // Refused messages do not count against the sender's budget.
      if (!bus.available()) return unavailable();
      // The budget lives on the bus, so it holds across the user's tabs and across replicas.
      const wait = await bus.hit(`chat:${sessionId}:${caller.userId}`, RATE_MAX, RATE_WINDOW_MS);
      if (wait > 0)
        return send({ type: 'error', message: `slow down: too many messages (try again in ${wait} s)` });
      await bus.appendChat(sessionId, {
        id: newId(),
        kind: 'message',
        userId: me.userId,
        username: me.username,
        text: msg.data.text,
        at: clock.now().toISOString(),
      });
    };
    // One message at a time per socket: what a person sends is published in the order they sent it.
    let queue: Promise<void> = Promise.resolve();
    ws.on('message', (raw) => {
      queue = queue.then(() => handle(String(raw))).catch(unavailable);
    });
    ws.on('close', () => {
      closed = true;
      clearInterval(refresh);
      stopWatching();
      const cleanup = (async () => {
        await joining;
        if (ended) {
          await unsubscribe?.().catch(() => undefined);
          return;
        }
        try {
          const users = await bus.setPresence(sessionId, connectionId, null);
          await bus.publish(sessionId, { type: 'presence', users });
          await bus.appendChat(sessionId, notice('leave', `${me.username} left`));
        } catch {
          // Bus down: presence entries expire with the session's keys.
        }
        await unsubscribe?.().catch(() => undefined);
      })();
      this.cleanups.add(cleanup);
      void cleanup.finally(() => this.cleanups.delete(cleanup));
    });
    joining = joining.then(async () => {
      if (closed) return;
      await join();
      if (closed) return;
      await bus.appendChat(sessionId, notice('join', `${me.username} is here`)).catch(() => undefined);
    });
    await joining;
  }

  /**
   * Closes every chat socket (1001; clients reconnect to another replica) and waits, briefly, for
   * their presence and leave notices to reach the bus before it disconnects.
   */
  async close(graceMs = 1_000): Promise<void> {
    const open = [...this.wss.clients];
    const gone = open.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
    for (const ws of open) ws.close(1001, 'server shutting down');
    const timer = setTimeout(() => {
      for (const ws of open) ws.terminate();
    }, graceMs);
    await Promise.all(gone);
    clearTimeout(timer);
    let late: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.cleanups]),
      new Promise((resolve) => {
        late = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(late);
    this.wss.close();
  }
}

/** Who is present, order-independent (one item per connection). */
function presenceSignature(users: PresenceEntry[]): string {
  return users
    .map((u) => `${u.userId}:${u.role}`)
    .sort()
    .join(',');
}
