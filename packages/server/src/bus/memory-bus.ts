import { EventEmitter } from 'node:events';
import type { ChatMessage, PresenceEntry } from '@porthole/contracts';
import { type Clock, systemClock } from '../platform/clock.js';
import { type BusEvent, HISTORY_LIMIT, type ShareBus } from './share-bus.js';

/** The single-process bus `porthole up` uses: the same contract, no network. */
export class MemoryBus implements ShareBus {
  readonly kind = 'memory';
  private readonly events = new EventEmitter();
  private readonly histories = new Map<string, ChatMessage[]>();
  private readonly presence = new Map<string, Map<string, PresenceEntry>>();
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly clock: Clock = systemClock) {
    this.events.setMaxListeners(0);
  }

  available(): boolean {
    return true;
  }

  onAvailability(): () => void {
    return () => undefined;
  }

  async publish(sessionId: string, event: BusEvent): Promise<void> {
    this.events.emit(sessionId, event);
  }

  async appendChat(sessionId: string, message: ChatMessage): Promise<void> {
    const list = this.histories.get(sessionId) ?? [];
    list.push(message);
    if (list.length > HISTORY_LIMIT) list.splice(0, list.length - HISTORY_LIMIT);
    this.histories.set(sessionId, list);
    await this.publish(sessionId, { type: 'chat', message });
  }

  async history(sessionId: string): Promise<ChatMessage[]> {
    return [...(this.histories.get(sessionId) ?? [])];
  }

  async subscribe(sessionId: string, handler: (event: BusEvent) => void): Promise<() => Promise<void>> {
    this.events.on(sessionId, handler);
    return async () => {
      this.events.off(sessionId, handler);
    };
  }

  async setPresence(
    sessionId: string,
    connectionId: string,
    entry: PresenceEntry | null,
  ): Promise<PresenceEntry[]> {
    const map = this.presence.get(sessionId) ?? new Map<string, PresenceEntry>();
    if (entry) map.set(connectionId, entry);
    else map.delete(connectionId);
    if (map.size === 0) this.presence.delete(sessionId);
    else this.presence.set(sessionId, map);
    return [...map.values()];
  }

  async clear(sessionId: string): Promise<void> {
    this.histories.delete(sessionId);
    this.presence.delete(sessionId);
  }

  async hit(key: string, max: number, windowMs: number): Promise<number> {
    const now = this.clock.now().getTime();
    let w = this.windows.get(key);
    if (!w || now - w.start >= windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000)
        for (const [k, old] of this.windows) if (now - old.start >= windowMs) this.windows.delete(k);
    }
    w.count += 1;
    return w.count > max ? Math.max(1, Math.ceil((w.start + windowMs - now) / 1000)) : 0;
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}
