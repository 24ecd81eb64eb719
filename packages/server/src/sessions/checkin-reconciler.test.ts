import type { AgentCheckinRequest, ReportedSession } from '@porthole/contracts';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { InMemorySessions, sessionRow } from '../testing/in-memory-sessions.js';
import { CheckinReconciler } from './checkin-reconciler.js';

const t0 = new Date('2026-01-01T00:00:00Z');

function report(sessions: ReportedSession[]): AgentCheckinRequest {
  return {
    version: 'test',
    resources: {
      cores: 4,
      memoryBytes: 8e9,
      memoryFreeBytes: 4e9,
      diskFreeBytes: null,
      load1: 0,
      dockerVersion: '20',
    },
    sessions,
    images: [],
  };
}
const reported = (
  sessionId: string,
  state: ReportedSession['state'],
  extra: Partial<ReportedSession> = {},
) => ({
  sessionId,
  containerId: `c-${sessionId}`,
  state,
  hostPort: 1234,
  ...extra,
});

describe('CheckinReconciler', () => {
  const agent = { id: 'a1', name: 'host-1' };

  it('takes the agent’s word for settled sessions, both ways', async () => {
    const clock = new ManualClock(t0);
    clock.advance(60_000);
    const sessions = new InMemorySessions([
      sessionRow({ id: 'lost', state: 'lost' }),
      sessionRow({ id: 'crashed', state: 'running' }),
      sessionRow({ id: 'gone', state: 'running' }),
      sessionRow({ id: 'same', state: 'paused' }),
    ]);
    const r = new CheckinReconciler(sessions, clock, 5);
    const out = await r.reconcile(
      agent,
      report([
        reported('lost', 'running'),
        reported('crashed', 'exited', { exitCode: 137 }),
        reported('same', 'paused'),
        reported('stranger', 'running'),
      ]),
    );
    const state = (id: string) => sessions.rows.find((s) => s.id === id);
    expect(state('lost')?.state).toBe('running');
    expect(state('crashed')).toMatchObject({
      state: 'stopped',
      state_reason: 'container exited with code 137',
    });
    expect(state('gone')).toMatchObject({
      state: 'error',
      state_reason: 'container missing on agent host-1',
    });
    expect(state('gone')?.ended_at).not.toBeNull();
    expect(state('same')?.state).toBe('paused');
    expect(out.removeSessions).toEqual(['stranger']);
    expect(out.changed).toHaveLength(3);
  });

  it('leaves sessions that a request is driving alone, and gives fresh ones a grace period', async () => {
    const clock = new ManualClock(t0);
    const sessions = new InMemorySessions([
      sessionRow({ id: 'starting', state: 'starting' }),
      sessionRow({ id: 'fresh', state: 'running', updated_at: t0 }),
    ]);
    clock.advance(5_000);
    const out = await new CheckinReconciler(sessions, clock, 5).reconcile(agent, report([]));
    expect(sessions.rows.map((s) => s.state)).toEqual(['starting', 'running']);
    expect(out.changed).toEqual([]);
  });

  it('records the last activity the agent saw', async () => {
    const clock = new ManualClock(t0);
    const sessions = new InMemorySessions([sessionRow({ id: 's', state: 'running' })]);
    const at = '2026-01-01T00:00:30.000Z';
    await new CheckinReconciler(sessions, clock, 5).reconcile(
      agent,
      report([reported('s', 'running', { lastActivityAt: at })]),
    );
    expect(sessions.rows[0]?.last_activity_at?.toISOString()).toBe(at);
  });
});
