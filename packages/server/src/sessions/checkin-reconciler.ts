import {
  type AgentCheckinRequest,
  inFlightSessionStates,
  type ReportedSession,
  type SessionState,
  settledSessionStates,
} from '@porthole/contracts';
import type { Clock } from '../platform/clock.js';
import type { SessionRepo, SessionRow } from './session-repo.js';

export interface ReconcileOutcome {
  removeSessions: string[];
  changed: Array<{ sessionId: string; from: string; to: SessionState; reason: string }>;
}

/**
 * Reconciles the database with an agent's report, both ways: the agent's containers are the
 * truth for settled sessions, and containers the database doesn't know (or has ended) go.
 */
export class CheckinReconciler {
  constructor(
    private readonly sessions: Pick<
      SessionRepo,
      'liveOnAgent' | 'setActivity' | 'transition' | 'unknownOrEnded'
    >,
    private readonly clock: Clock,
    private readonly checkinSeconds: number,
  ) {}

  async reconcile(
    agent: { id: string; name: string },
    report: AgentCheckinRequest,
  ): Promise<ReconcileOutcome> {
    const now = this.clock.now();
    const rows = await this.sessions.liveOnAgent(agent.id);
    const reported = new Map(report.sessions.map((s) => [s.sessionId, s]));
    const changed: ReconcileOutcome['changed'] = [];
    // A report may have been gathered before a session became settled; only older rows can be missing.
    const graceMs = 2 * this.checkinSeconds * 1000;

    // Only activity newer than what is stored is written, in one statement for the whole report.
    const activity: Array<{ id: string; at: Date }> = [];
    for (const row of rows) {
      const at = reported.get(row.id)?.lastActivityAt;
      if (at && (!row.last_activity_at || row.last_activity_at < new Date(at)))
        activity.push({ id: row.id, at: new Date(at) });
    }
    if (activity.length > 0) await this.sessions.setActivity(activity);

    for (const row of rows) {
      const r = reported.get(row.id);
      if (inFlightSessionStates.includes(row.state as SessionState)) continue;
      const target = r ? this.targetFor(row, r) : this.missing(row, now, graceMs, agent.name);
      if (!target) continue;
      const moved = await this.sessions.transition(
        row.id,
        settledSessionStates,
        target.state,
        target.reason,
        now,
      );
      if (moved)
        changed.push({ sessionId: row.id, from: row.state, to: target.state, reason: target.reason });
    }
    const removeSessions = await this.sessions.unknownOrEnded([...reported.keys()]);
    return { removeSessions, changed };
  }

  private targetFor(row: SessionRow, r: ReportedSession): { state: SessionState; reason: string } | null {
    const state = row.state as SessionState;
    switch (r.state) {
      case 'running':
        return state === 'running' ? null : { state: 'running', reason: 'container is running on the agent' };
      case 'paused':
        return state === 'paused' ? null : { state: 'paused', reason: 'container is paused on the agent' };
      case 'exited':
      case 'dead':
        return state === 'stopped'
          ? null
          : {
              state: 'stopped',
              reason: `container exited${r.exitCode != null ? ` with code ${r.exitCode}` : ''}`,
            };
      default:
        return null;
    }
  }

  private missing(row: SessionRow, now: Date, graceMs: number, agentName: string) {
    const since = (row.updated_at as Date).getTime();
    if (now.getTime() - since < graceMs) return null;
    return { state: 'error' as const, reason: `container missing on agent ${agentName}` };
  }
}
