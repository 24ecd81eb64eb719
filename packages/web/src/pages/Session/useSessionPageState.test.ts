import { describe, expect, it } from 'vitest';
import { initialSessionPageState, participantGone, sessionPageReducer } from './useSessionPageState';

const open = { kind: 'open' } as const;
const connected = { kind: 'connected' } as const;

describe('when a participant is out', () => {
  it('after a final close of the chat or the stream, or a lost access read; never the owner', () => {
    const closed = (code: number) => ({ kind: 'closed', code, reason: 'r' }) as const;
    const base = { owner: false, chatLink: open, vnc: connected, accessLost: null };
    expect(participantGone(base)).toBeNull();
    expect(participantGone({ ...base, chatLink: closed(4001) })).toEqual({ code: 4001, reason: 'r' });
    expect(participantGone({ ...base, chatLink: closed(4004) })?.code).toBe(4004);
    expect(participantGone({ ...base, chatLink: closed(0) })?.code).toBe(0);
    expect(participantGone({ ...base, chatLink: closed(1006) })).toBeNull();
    expect(participantGone({ ...base, vnc: { kind: 'failed', reason: 'ended', code: 4004 } })?.code).toBe(
      4004,
    );
    // A refusal without a close code (e.g. a password prompt) is the viewer's own error, not "gone".
    expect(participantGone({ ...base, vnc: { kind: 'failed', reason: 'auth' } })).toBeNull();
    expect(participantGone({ ...base, accessLost: 'no session' })).toEqual({ code: 0, reason: 'no session' });
    expect(participantGone({ ...base, owner: true, chatLink: closed(4004) })).toBeNull();
  });

  it('stays out: a later reason does not replace the first', () => {
    const first = sessionPageReducer(initialSessionPageState, {
      type: 'gone',
      gone: { code: 4001, reason: 'a' },
    });
    const again = sessionPageReducer(first, { type: 'gone', gone: { code: 4004, reason: 'b' } });
    expect(again.gone).toEqual({ code: 4001, reason: 'a' });
  });
});
