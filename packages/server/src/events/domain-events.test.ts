import { describe, expect, it, vi } from 'vitest';
import { EventHub } from './domain-events.js';

describe('EventHub', () => {
  it('runs every reaction and returns once they are all done', async () => {
    const hub = new EventHub();
    const seen: string[] = [];
    hub.on('sessionEnded', async ({ sessionId }) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(`a:${sessionId}`);
    });
    hub.on('sessionEnded', async ({ sessionId }) => {
      seen.push(`b:${sessionId}`);
    });
    await hub.emit('sessionEnded', { sessionId: 's1' });
    expect(seen.sort()).toEqual(['a:s1', 'b:s1']);
  });

  it('logs a failing reaction without failing the emit or the other reactions', async () => {
    const warn = vi.fn();
    const hub = new EventHub({ warn });
    const other = vi.fn(async () => undefined);
    hub.on('userBarred', async () => {
      throw new Error('agent away');
    });
    hub.on('userBarred', other);
    await expect(hub.emit('userBarred', { userId: 'u1' })).resolves.toBeUndefined();
    expect(other).toHaveBeenCalledWith({ userId: 'u1' });
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'userBarred', userId: 'u1' }),
      'a reaction to userBarred failed',
    );
  });

  it('does nothing for an event nobody listens to', async () => {
    await expect(new EventHub().emit('agentDeleting', { agentId: 'a1' })).resolves.toBeUndefined();
  });
});
