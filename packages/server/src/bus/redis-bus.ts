import type { ChatMessage, PresenceEntry } from '@porthole/contracts';
import { Redis } from 'ioredis';
import { type Clock, systemClock } from '../platform/clock.js';
import { type BusEvent, HISTORY_LIMIT, PRESENCE_STALE_MS, type ShareBus } from './share-bus.js';

const channel = (sessionId: string) => `porthole:share:${sessionId}`;
const historyKey = (sessionId: string) => `porthole:chat:${sessionId}`;
const presenceKey = (sessionId: string) => `porthole:presence:${sessionId}`;
const rateKey = (key: string) => `porthole:rate:${key}`;
// History outlives no session by much: it is cleared when the session ends, this is the backstop.
const TTL_SECONDS = 7 * 24 * 3600;

export interface RedisBusLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Redis share bus: pub/sub delivers, a capped list keeps history, a hash keeps presence. */
export class RedisBus implements ShareBus {
  readonly kind = 'redis';
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, Set<(e: BusEvent) => void>>();
  private readonly availability = new Set<(a: boolean) => void>();
  private last = false;

  constructor(
    url: string,
    log: RedisBusLog,
    private readonly clock: Clock = systemClock,
  ) {
    const options = {
      // Fail fast while Redis is down instead of queueing: chat says "unavailable" meanwhile.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(200 * times, 5_000),
      lazyConnect: false,
    };
    this.cmd = new Redis(url, options);
    this.sub = new Redis(url, { ...options, enableOfflineQueue: true });
    for (const c of [this.cmd, this.sub]) {
      c.on('error', (err: Error) => log.warn({ err: err.message }, 'share bus (redis) error'));
      c.on('ready', () => this.changed());
      c.on('end', () => this.changed());
      c.on('close', () => this.changed());
    }
    this.sub.on('ready', () => {
      // Subscriptions are restored by ioredis; make sure every local channel is listened to.
      for (const id of this.handlers.keys()) void this.sub.subscribe(channel(id)).catch(() => undefined);
    });
    this.sub.on('message', (ch: string, raw: string) => {
      const sessionId = ch.slice('porthole:share:'.length);
      let event: BusEvent;
      try {
        event = JSON.parse(raw) as BusEvent;
      } catch {
        return;
      }
      for (const h of this.handlers.get(sessionId) ?? []) h(event);
    });
  }

  private changed(): void {
    const now = this.available();
    if (now === this.last) return;
    this.last = now;
    for (const h of this.availability) h(now);
  }

  available(): boolean {
    return this.cmd.status === 'ready' && this.sub.status === 'ready';
  }

  onAvailability(handler: (available: boolean) => void): () => void {
    this.availability.add(handler);
    return () => this.availability.delete(handler);
  }

  async publish(sessionId: string, event: BusEvent): Promise<void> {
    await this.cmd.publish(channel(sessionId), JSON.stringify(event));
  }

  async appendChat(sessionId: string, message: ChatMessage): Promise<void> {
    const key = historyKey(sessionId);
    await this.cmd
      .multi()
      .rpush(key, JSON.stringify(message))
      .ltrim(key, -HISTORY_LIMIT, -1)
      .expire(key, TTL_SECONDS)
      .publish(channel(sessionId), JSON.stringify({ type: 'chat', message } satisfies BusEvent))
      .exec();
  }

  async history(sessionId: string): Promise<ChatMessage[]> {
    const raw = await this.cmd.lrange(historyKey(sessionId), 0, -1);
    return raw.map((r) => JSON.parse(r) as ChatMessage);
  }

  async subscribe(sessionId: string, handler: (event: BusEvent) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(sessionId);
    if (!set) {
      set = new Set();
      this.handlers.set(sessionId, set);
      await this.sub.subscribe(channel(sessionId));
    }
    set.add(handler);
    return async () => {
      const current = this.handlers.get(sessionId);
      current?.delete(handler);
      if (current && current.size === 0) {
        this.handlers.delete(sessionId);
        await this.sub.unsubscribe(channel(sessionId)).catch(() => undefined);
      }
    };
  }

  async setPresence(
    sessionId: string,
    connectionId: string,
    entry: PresenceEntry | null,
  ): Promise<PresenceEntry[]> {
    const key = presenceKey(sessionId);
    const now = this.clock.now().getTime();
    if (entry) {
      const stamped = JSON.stringify({ ...entry, seenAt: now });
      await this.cmd.multi().hset(key, connectionId, stamped).expire(key, TTL_SECONDS).exec();
    } else await this.cmd.hdel(key, connectionId);
    const present: PresenceEntry[] = [];
    const stale: string[] = [];
    for (const [id, raw] of Object.entries(await this.cmd.hgetall(key))) {
      const e = parsePresence(raw);
      if (e && now - e.seenAt <= PRESENCE_STALE_MS)
        present.push({ userId: e.userId, username: e.username, role: e.role });
      else stale.push(id);
    }
    // Entries nobody refreshed: their replica died without saying goodbye.
    if (stale.length > 0) await this.cmd.hdel(key, ...stale).catch(() => 0);
    return present;
  }

  async clear(sessionId: string): Promise<void> {
    await this.cmd.del(historyKey(sessionId), presenceKey(sessionId));
  }

  async hit(key: string, max: number, windowMs: number): Promise<number> {
    const k = rateKey(key);
    // SET NX starts the window with its expiry; INCR keeps that expiry (works on Redis 6 too).
    const replies = await this.cmd.multi().set(k, '0', 'PX', windowMs, 'NX').incr(k).pttl(k).exec();
    const [, incr, pttl] = replies ?? [];
    if (!incr || incr[0] || !pttl || pttl[0]) throw incr?.[0] ?? pttl?.[0] ?? new Error('rate limit failed');
    const count = Number(incr[1]);
    return count > max ? Math.max(1, Math.ceil(Number(pttl[1]) / 1000)) : 0;
  }

  async close(): Promise<void> {
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}

function parsePresence(raw: string): (PresenceEntry & { seenAt: number }) | null {
  try {
    const v = JSON.parse(raw) as Partial<PresenceEntry & { seenAt: number }>;
    if (typeof v.seenAt !== 'number' || typeof v.userId !== 'string' || typeof v.username !== 'string')
      return null;
    if (v.role !== 'owner' && v.role !== 'collaborator' && v.role !== 'viewer') return null;
    return { userId: v.userId, username: v.username, role: v.role, seenAt: v.seenAt };
  } catch {
    return null;
  }
}
