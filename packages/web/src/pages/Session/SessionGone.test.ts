import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { isDeadLink } from '../Join/JoinPage';
import { goneText } from './SessionGone';
import { shareUrl } from './SharePanel';

describe('what a participant is told', () => {
  it('tells removal, the end of the session and lost access apart', () => {
    expect(goneText({ code: 4001, reason: 'removed by the owner' }).title).toBe(
      'You were removed from this session',
    );
    expect(goneText({ code: 4004, reason: 'the session ended' }).title).toBe('The session has ended');
    expect(goneText({ code: 0, reason: 'no session' }).title).toBe(
      'You no longer have access to this session',
    );
  });

  it('treats 404 and 400 from join as a dead link, anything else as an error to retry', () => {
    expect(isDeadLink(new ApiError(404, 'not_found', 'this share link is not valid (any more)'))).toBe(true);
    expect(isDeadLink(new ApiError(400, 'invalid', 'shareId: must be a share id'))).toBe(true);
    expect(isDeadLink(new ApiError(503, 'unavailable', 'down'))).toBe(false);
    expect(isDeadLink(new Error('network'))).toBe(false);
  });

  it('rebuilds the link the server hands out', () => {
    expect(shareUrl('ab'.repeat(16), 'https://p.example:8443')).toBe(
      `https://p.example:8443/join/${'ab'.repeat(16)}`,
    );
  });
});
