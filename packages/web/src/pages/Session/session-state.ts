import type { SessionState } from '@porthole/contracts';

export function stateColor(state: SessionState): string {
  switch (state) {
    case 'running':
      return 'teal';
    case 'requested':
    case 'provisioning':
    case 'starting':
    case 'resuming':
      return 'blue';
    case 'pausing':
    case 'paused':
      return 'yellow';
    case 'stopping':
    case 'stopped':
      return 'gray';
    case 'error':
    case 'lost':
      return 'red';
    default:
      return 'gray';
  }
}

/** States from which the session will move on by itself (worth polling quickly). */
export const transitionalStates: readonly SessionState[] = [
  'requested',
  'provisioning',
  'starting',
  'pausing',
  'resuming',
  'stopping',
  'deleting',
];

export const endedStates: readonly SessionState[] = ['deleted', 'deleting', 'error', 'lost'];
