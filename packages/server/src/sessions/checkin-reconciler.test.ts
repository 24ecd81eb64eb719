import { type AgentCheckinRequest, type ReportedSession, settledSessionStates } from '@porthole/contracts';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { sessionRow as row } from '../testkit/rows.js';
import { CheckinReconciler } from './checkin-reconciler.js';
import type { SessionRepo, SessionRow } from './session-repo.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

/**
 * The repository methods the reconciler takes: `live` is what `liveOnAgent` finds, `unknown` what
 * `unknownOrEnded` answers, `lostRace` the ids whose conditional transition another replica won.
 */
function repo(live: SessionRow[], opts: { unknown?: string[]; lostRace?: string[] } = {}) {
  return {
    liveOnAgent: vi.fn<SessionRepo['liveOnAgent']>(async () => live),
    setActivity: vi.fn<SessionRepo['setActivity']>(async () => undefined),
    transition: vi.fn<SessionRepo['transition']>(async (id, _from, to, reason, now) => {
      if (opts.lostRace?.includes(id)) return undefined;
      const found = live.find((r) => r.id === id);
      return found && { ...found, state: to, state_reason: reason, updated_at: now };
    }),
    unknownOrEnded: vi.fn<SessionRepo['unknownOrEnded']>(async () => opts.unknown ?? []),
  };
}

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
    const now = at(60_000);
    const sessions = repo(
      [
        row({ id: 'lost', state: 'lost' }),
        row({ id: 'crashed', state: 'running' }),
        row({ id: 'gone', state: 'running' }),
        row({ id: 'same', state: 'paused' }),
      ],
      { unknown: ['stranger'] },
    );
    const out = await new CheckinReconciler(sessions, clock, 5).reconcile(
      agent,
      report([
        reported('lost', 'running'),
        reported('crashed', 'exited', { exitCode: 137 }),
        reported('same', 'paused'),
        reported('stranger', 'running'),
      ]),
    );
    expect(sessions.liveOnAgent).toHaveBeenCalledWith('a1');
    // Each move is conditional on the session still being settled; `same` is not touched.
    expect(sessions.transition.mock.calls).toEqual([
      ['lost', settledSessionStates, 'running', 'container is running on the agent', now],
      ['crashed', settledSessionStates, 'stopped', 'container exited with code 137', now],
      ['gone', settledSessionStates, 'error', 'container missing on agent host-1', now],
    ]);
    expect(out.changed).toEqual([
      { sessionId: 'lost', from: 'lost', to: 'running', reason: 'container is running on the agent' },
      { sessionId: 'crashed', from: 'running', to: 'stopped', reason: 'container exited with code 137' },
      { sessionId: 'gone', from: 'running', to: 'error', reason: 'container missing on agent host-1' },
    ]);
    // Every reported container is checked against the database; the ones it does not know go.
    expect(sessions.unknownOrEnded).toHaveBeenCalledWith(['lost', 'crashed', 'same', 'stranger']);
    expect(out.removeSessions).toEqual(['stranger']);
  });

  it('reports only the moves it made, not those another replica made first', async () => {
    const clock = new ManualClock(at(60_000));
    const sessions = repo([row({ id: 'won' }), row({ id: 'raced' })], { lostRace: ['raced'] });
    const out = await new CheckinReconciler(sessions, clock, 5).reconcile(
      agent,
      report([reported('won', 'paused'), reported('raced', 'paused')]),
    );
    expect(sessions.transition).toHaveBeenCalledTimes(2);
    expect(out.changed.map((c) => c.sessionId)).toEqual(['won']);
  });

  it('leaves sessions that a request is driving alone, and gives fresh ones a grace period', async () => {
    const clock = new ManualClock(t0);
    const live = [
      row({ id: 'starting', state: 'starting', updated_at: at(-60_000) }),
      row({ id: 'deleting', state: 'deleting', updated_at: at(-60_000) }),
      row({ id: 'fresh', state: 'running', updated_at: t0 }),
    ];
    // The grace is two check-ins (10 s here): within it, a missing container is no evidence.
    clock.advance(9_999);
    const sessions = repo(live);
    const out = await new CheckinReconciler(sessions, clock, 5).reconcile(agent, report([]));
    expect(sessions.transition).not.toHaveBeenCalled();
    expect(out.changed).toEqual([]);

    clock.advance(1);
    const later = repo(live);
    const after = await new CheckinReconciler(later, clock, 5).reconcile(agent, report([]));
    expect(later.transition.mock.calls).toEqual([
      ['fresh', settledSessionStates, 'error', 'container missing on agent host-1', at(10_000)],
    ]);
    expect(after.changed.map((c) => c.sessionId)).toEqual(['fresh']);
  });

  it('records the last activity the agent saw, only where it is newer than the stored one', async () => {
    const clock = new ManualClock(t0);
    const sessions = repo([
      row({ id: 'never', state: 'running', last_activity_at: null }),
      row({ id: 'older', state: 'running', last_activity_at: at(10_000) }),
      row({ id: 'newer', state: 'running', last_activity_at: at(40_000) }),
      row({ id: 'quiet', state: 'running', last_activity_at: null }),
    ]);
    const seen = '2026-01-01T00:00:30.000Z';
    await new CheckinReconciler(sessions, clock, 5).reconcile(
      agent,
      report([
        reported('never', 'running', { lastActivityAt: seen }),
        reported('older', 'running', { lastActivityAt: seen }),
        reported('newer', 'running', { lastActivityAt: seen }),
        reported('quiet', 'running'),
      ]),
    );
    // One statement for the whole report.
    expect(sessions.setActivity.mock.calls).toEqual([
      [
        [
          { id: 'never', at: new Date(seen) },
          { id: 'older', at: new Date(seen) },
        ],
      ],
    ]);
  });

  it('writes no activity when there is none to record', async () => {
    const sessions = repo([row({ id: 's', last_activity_at: at(40_000) })]);
    await new CheckinReconciler(sessions, new ManualClock(t0), 5).reconcile(
      agent,
      report([reported('s', 'running', { lastActivityAt: at(30_000).toISOString() })]),
    );
    expect(sessions.setActivity).not.toHaveBeenCalled();
  });
});
