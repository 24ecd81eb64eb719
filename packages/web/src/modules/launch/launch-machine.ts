import type { SessionState, SessionView } from '@porthole/contracts';
import { ApiError } from '../../api/client';

/** The visible steps of a launch, in order. */
export const launchSteps = [
  { state: 'requested', label: 'Requested', description: 'Finding a server with room' },
  { state: 'provisioning', label: 'Provisioning', description: 'Creating the container' },
  { state: 'starting', label: 'Starting', description: 'Waiting for the desktop' },
  { state: 'running', label: 'Ready', description: 'Opening the session' },
] as const satisfies ReadonlyArray<{ state: SessionState; label: string; description: string }>;

const progressStates: readonly SessionState[] = ['requested', 'provisioning', 'starting'];

/** Index of the step a state belongs to (-1 for states that are not part of a launch). */
export function stepIndex(state: SessionState): number {
  return launchSteps.findIndex((s) => s.state === state);
}

export type Outcome = 'progress' | 'ready' | 'failed';

/** Where a launch stands given the session's state: still going, ready to open, or over. */
export function classify(state: SessionState): Outcome {
  if (state === 'running') return 'ready';
  if (progressStates.includes(state)) return 'progress';
  return 'failed';
}

export interface LaunchFailure {
  kind: 'forbidden' | 'limit' | 'capacity' | 'session' | 'network' | 'other';
  title: string;
  message: string;
}

/** A failed `POST /api/sessions` as people should read it (403, 409 limit, 503 capacity). */
export function failureFromError(e: unknown): LaunchFailure {
  if (!(e instanceof ApiError)) {
    return { kind: 'other', title: 'Launch failed', message: e instanceof Error ? e.message : String(e) };
  }
  if (e.status === 403) return { kind: 'forbidden', title: 'Not allowed', message: e.message };
  if (e.status === 409) {
    const limit = e.detailNumber('limit');
    const message =
      limit !== undefined
        ? `You already have ${limit} ${limit === 1 ? 'session' : 'sessions'}, the most your groups allow. Delete one under My sessions to start another.`
        : e.message;
    return { kind: 'limit', title: 'Session limit reached', message };
  }
  if (e.status === 503) return { kind: 'capacity', title: 'No capacity right now', message: e.message };
  if (e.code === 'network') return { kind: 'network', title: 'Cannot reach the server', message: e.message };
  return { kind: 'other', title: 'Launch failed', message: e.message };
}

/** A session that ended up somewhere other than `running`. */
export function failureFromSession(view: SessionView): LaunchFailure {
  const reason = view.stateReason ?? 'no reason was given';
  return {
    kind: 'session',
    title: view.state === 'error' ? 'The session failed to start' : `The session is ${view.state}`,
    message: reason,
  };
}

export type LaunchStatus =
  | { phase: 'idle' }
  | { phase: 'creating'; workspaceName: string }
  | { phase: 'waiting'; workspaceName: string; session: SessionView }
  | { phase: 'ready'; workspaceName: string; session: SessionView }
  | { phase: 'failed'; workspaceName: string; failure: LaunchFailure; session?: SessionView };

export type LaunchEvent =
  | { type: 'start'; workspaceName: string }
  | { type: 'created'; session: SessionView }
  | { type: 'update'; session: SessionView }
  | { type: 'error'; error: unknown }
  | { type: 'reset' };

/** The launch dialog's state: a reducer so every transition is testable without React. */
export function launchReducer(status: LaunchStatus, event: LaunchEvent): LaunchStatus {
  switch (event.type) {
    case 'reset':
      return { phase: 'idle' };
    case 'start':
      return { phase: 'creating', workspaceName: event.workspaceName };
    case 'created':
    case 'update': {
      if (status.phase === 'idle' || status.phase === 'ready' || status.phase === 'failed') return status;
      const { workspaceName } = status;
      const outcome = classify(event.session.state);
      if (outcome === 'ready') return { phase: 'ready', workspaceName, session: event.session };
      if (outcome === 'failed')
        return {
          phase: 'failed',
          workspaceName,
          session: event.session,
          failure: failureFromSession(event.session),
        };
      return { phase: 'waiting', workspaceName, session: event.session };
    }
    case 'error': {
      if (status.phase === 'idle' || status.phase === 'ready') return status;
      const session = status.phase === 'waiting' || status.phase === 'failed' ? status.session : undefined;
      return {
        phase: 'failed',
        workspaceName: status.workspaceName,
        failure: failureFromError(event.error),
        ...(session ? { session } : {}),
      };
    }
  }
}

export interface PollOptions {
  get: (id: string, signal: AbortSignal) => Promise<SessionView>;
  onUpdate: (view: SessionView) => void;
  signal: AbortSignal;
  intervalMs?: number;
  /** Consecutive failed polls tolerated (a blip in the network) before giving up. */
  maxFailures?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls a session until it is running or has failed; every answer goes to `onUpdate`. */
export async function pollUntilSettled(id: string, options: PollOptions): Promise<SessionView> {
  const { get, onUpdate, signal, intervalMs = 500, maxFailures = 5 } = options;
  const wait = options.sleep ?? sleep;
  let failures = 0;
  for (;;) {
    try {
      const view = await get(id, signal);
      failures = 0;
      onUpdate(view);
      if (classify(view.state) !== 'progress') return view;
    } catch (e) {
      if (signal.aborted) throw e;
      // A 4xx will not get better by asking again (the session is gone or not ours).
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) throw e;
      failures++;
      if (failures >= maxFailures) throw e;
    }
    await wait(intervalMs, signal);
  }
}
