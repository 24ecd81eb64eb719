import type { AgentDisconnect, EffectiveSettings, SessionView } from '@porthole/contracts';
import { defaultSettings } from '@porthole/contracts';
import { describe, expect, it, vi } from 'vitest';
import type { BusEvent, ShareBus } from '../bus/share-bus.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import type { Caller } from '../http/caller.js';
import { ManualClock } from '../platform/clock.js';
import type { SessionRow } from '../sessions/session-repo.js';
import { sessionRow } from '../testkit/rows.js';
import type { SharingRepo } from './sharing-repo.js';
import { SharingService } from './sharing-service.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const alice: Caller = { userId: 'u1', username: 'alice', isAdmin: false };
const bob: Caller = { userId: 'u2', username: 'bob', isAdmin: false };
const admin: Caller = { userId: 'u9', username: 'root', isAdmin: true };
const ORIGIN = 'https://porthole.test';

type Role = 'viewer' | 'collaborator';

function setup(
  opts: {
    rows?: SessionRow[];
    /** Settings per user id; anyone else has the defaults. */
    settings?: Record<string, Partial<EffectiveSettings>>;
    /** Participants' roles, by `${sessionId}/${userId}`. */
    participants?: Record<string, Role>;
    liveOf?: Array<{ id: string; agent_id: string | null }>;
  } = {},
) {
  const clock = new ManualClock(t0);
  const rows = opts.rows ?? [sessionRow({ id: 's1', user_id: 'u1', share_id: 'share-1' })];
  const roles = new Map(Object.entries(opts.participants ?? {}));
  const repo = {
    setShareId: vi.fn(async (_sessionId: string, _shareId: string | null) => undefined),
    findByShareId: vi.fn(async (shareId: string) => {
      const s = rows.find((r) => r.share_id === shareId);
      return (
        s && {
          id: s.id,
          user_id: s.user_id,
          agent_id: s.agent_id,
          state: s.state,
          ended_at: s.ended_at,
          share_id: s.share_id,
        }
      );
    }),
    upsertParticipant: vi.fn(async (sessionId: string, userId: string, role: Role) => {
      const before = roles.get(`${sessionId}/${userId}`) ?? null;
      roles.set(`${sessionId}/${userId}`, role);
      return before;
    }),
    participants: vi.fn(async () => [
      { user_id: 'u2', username: 'bob', role: 'viewer' as const, joined_at: t0 },
    ]),
    participantRole: vi.fn(
      async (sessionId: string, userId: string) => roles.get(`${sessionId}/${userId}`) ?? null,
    ),
    removeParticipant: vi.fn(async (sessionId: string, userId: string) =>
      roles.delete(`${sessionId}/${userId}`),
    ),
    liveSessionsOf: vi.fn(async (_userId: string) => opts.liveOf ?? []),
    removeAll: vi.fn(async (_sessionId: string) => undefined),
  };
  const sessions = { find: vi.fn(async (id: string) => rows.find((r) => r.id === id)) };
  const sessionService = {
    view: vi.fn(async (id: string) => ({ id, state: 'running' }) as SessionView),
  };
  const settings = {
    forUser: vi.fn(
      async (userId: string): Promise<EffectiveSettings> => ({
        ...defaultSettings,
        ...opts.settings?.[userId],
      }),
    ),
  };
  const bus = {
    publish: vi.fn(async (_sessionId: string, _event: BusEvent) => undefined),
    appendChat: vi.fn(async () => undefined),
    clear: vi.fn(async (_sessionId: string) => undefined),
    close: vi.fn(async () => undefined),
  };
  const streams = {
    disconnect: vi.fn(
      async (
        _session: { id: string; agent_id: string | null },
        _target: AgentDisconnect,
      ): Promise<number | null> => 1,
    ),
  };
  const service = new SharingService({
    repo: repo as unknown as SharingRepo,
    sessions,
    sessionService,
    settings,
    bus: bus as unknown as ShareBus,
    clock,
    streams,
  });
  return { clock, repo, sessions, sessionService, settings, bus, streams, service, roles };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const sharingOn = { u1: { allow_sharing: true } };

describe('SharingService.enable', () => {
  it('gives a live session a fresh share id and answers its join link', async () => {
    const { service, repo } = setup({ rows: [sessionRow({ id: 's1' })], settings: sharingOn });
    const share = await service.enable(alice, 's1', ORIGIN);
    expect(share.shareId).toMatch(/^[0-9a-f]{32}$/);
    expect(share.url).toBe(`${ORIGIN}/join/${share.shareId}`);
    expect(repo.setShareId).toHaveBeenCalledWith('s1', share.shareId);
  });

  it('reuses the share id a session already has', async () => {
    const { service, repo } = setup({ settings: sharingOn });
    expect(await service.enable(alice, 's1', ORIGIN)).toEqual({
      shareId: 'share-1',
      url: `${ORIGIN}/join/share-1`,
    });
    expect(repo.setShareId).not.toHaveBeenCalled();
  });

  it("refuses when the owner's groups do not allow sharing, even to an administrator", async () => {
    const { service, repo, settings } = setup({ rows: [sessionRow({ id: 's1' })] });
    expect(await rejection(service.enable(alice, 's1', ORIGIN))).toBeInstanceOf(ForbiddenError);
    expect(await rejection(service.enable(admin, 's1', ORIGIN))).toBeInstanceOf(ForbiddenError);
    expect(settings.forUser.mock.calls).toEqual([['u1'], ['u1']]);
    expect(repo.setShareId).not.toHaveBeenCalled();
  });

  it('refuses a staged session (nobody owns it yet)', async () => {
    const { service, repo } = setup({
      rows: [sessionRow({ id: 's1', user_id: null, staging_id: 'pool-1' })],
    });
    expect(await rejection(service.enable(admin, 's1', ORIGIN))).toBeInstanceOf(ConflictError);
    expect(repo.setShareId).not.toHaveBeenCalled();
  });

  it('shares a session still starting, but not an ended one, and hides other users’ sessions', async () => {
    const { service, repo } = setup({
      rows: [
        sessionRow({ id: 'starting', state: 'starting' }),
        sessionRow({ id: 'ended', state: 'deleted', ended_at: t0 }),
      ],
      settings: sharingOn,
    });
    await service.enable(alice, 'starting', ORIGIN);
    expect(repo.setShareId).toHaveBeenCalledWith('starting', expect.any(String));
    expect(await rejection(service.enable(alice, 'ended', ORIGIN))).toBeInstanceOf(ConflictError);
    expect(await rejection(service.enable(bob, 'starting', ORIGIN))).toBeInstanceOf(NotFoundError);
    expect(repo.setShareId).toHaveBeenCalledTimes(1);
  });
});

describe('SharingService.join', () => {
  it("joins as viewer when the owner's groups do not give full control, and says so in the chat", async () => {
    const { service, repo, bus, streams, settings } = setup();
    const joined = await service.join(bob, 'share-1');
    expect(joined).toEqual({ session: { id: 's1', state: 'running' }, role: 'viewer' });
    expect(settings.forUser).toHaveBeenCalledWith('u1');
    expect(repo.upsertParticipant).toHaveBeenCalledWith('s1', 'u2', 'viewer');
    expect(bus.appendChat).toHaveBeenCalledWith('s1', {
      id: expect.any(String),
      kind: 'system',
      userId: 'u2',
      username: 'bob',
      text: 'bob joined as viewer',
      at: t0.toISOString(),
    });
    expect(streams.disconnect).not.toHaveBeenCalled();
  });

  it("joins as collaborator when the owner's groups give full control", async () => {
    const { service, repo } = setup({ settings: { u1: { shared_session_full_control: true } } });
    expect((await service.join(bob, 'share-1')).role).toBe('collaborator');
    expect(repo.upsertParticipant).toHaveBeenCalledWith('s1', 'u2', 'collaborator');
  });

  it('closes the stream a participant holds with the old role, so it comes back with the new one', async () => {
    const { service, streams } = setup({
      settings: { u1: { shared_session_full_control: true } },
      participants: { 's1/u2': 'viewer' },
    });
    expect((await service.join(bob, 'share-1')).role).toBe('collaborator');
    expect(streams.disconnect).toHaveBeenCalledWith(expect.objectContaining({ id: 's1', agent_id: 'a1' }), {
      userId: 'u2',
      reconnect: 'role_changed',
    });
  });

  it('leaves the stream open when a participant rejoins with the same role', async () => {
    const { service, streams, repo } = setup({ participants: { 's1/u2': 'viewer' } });
    expect((await service.join(bob, 'share-1')).role).toBe('viewer');
    expect(repo.upsertParticipant).toHaveBeenCalledTimes(1);
    expect(streams.disconnect).not.toHaveBeenCalled();
  });

  it('keeps the owner the owner when they open their own link', async () => {
    const { service, repo, bus, settings } = setup();
    expect(await service.join(alice, 'share-1')).toEqual({
      session: { id: 's1', state: 'running' },
      role: 'owner',
    });
    expect(repo.upsertParticipant).not.toHaveBeenCalled();
    expect(settings.forUser).not.toHaveBeenCalled();
    expect(bus.appendChat).not.toHaveBeenCalled();
  });

  it('still joins when the chat bus is down', async () => {
    const { service, bus } = setup();
    bus.appendChat.mockRejectedValueOnce(new Error('redis is down'));
    expect((await service.join(bob, 'share-1')).role).toBe('viewer');
  });

  it('refuses an unknown link and the link of an ended session', async () => {
    const { service, repo } = setup({
      rows: [sessionRow({ id: 's1', share_id: 'share-1', state: 'deleted', ended_at: t0 })],
    });
    expect(await rejection(service.join(bob, 'nope'))).toBeInstanceOf(NotFoundError);
    expect(await rejection(service.join(bob, 'share-1'))).toBeInstanceOf(NotFoundError);
    expect(repo.upsertParticipant).not.toHaveBeenCalled();
  });
});

describe('SharingService access, standing and roleOf', () => {
  it('answers the owner as owner, who may share when their groups allow it', async () => {
    const { service, repo } = setup({ settings: sharingOn });
    expect(await service.access(alice, 's1')).toEqual({
      session: { id: 's1', state: 'running' },
      role: 'owner',
      mayShare: true,
    });
    expect(await service.roleOf(alice, 's1')).toBe('owner');
    expect(repo.participantRole).not.toHaveBeenCalled();
  });

  it('answers a participant with their role; they may not share', async () => {
    const { service, repo } = setup({ settings: sharingOn, participants: { 's1/u2': 'collaborator' } });
    expect(await service.access(bob, 's1')).toMatchObject({ role: 'collaborator', mayShare: false });
    expect(await service.standing(bob, 's1')).toBe('collaborator');
    expect(repo.participantRole).toHaveBeenCalledWith('s1', 'u2');
  });

  it('answers an administrator who is neither as a viewer, who may share for the owner', async () => {
    const { service } = setup({ settings: sharingOn });
    expect(await service.access(admin, 's1')).toMatchObject({ role: 'viewer', mayShare: true });
    expect(await service.roleOf(admin, 's1')).toBe('viewer');
  });

  it('answers a stranger with 404 and no role', async () => {
    const { service, sessionService } = setup();
    expect(await rejection(service.access(bob, 's1'))).toBeInstanceOf(NotFoundError);
    expect(await rejection(service.access(bob, 'nope'))).toBeInstanceOf(NotFoundError);
    expect(await service.roleOf(bob, 's1')).toBeNull();
    expect(await service.standing(bob, 'nope')).toBeNull();
    expect(sessionService.view).not.toHaveBeenCalled();
  });

  it('shows an ended session to its owner (not shareable) but no longer to a participant', async () => {
    const { service } = setup({
      rows: [sessionRow({ id: 's1', state: 'deleted', ended_at: t0 })],
      settings: sharingOn,
      participants: { 's1/u2': 'viewer' },
    });
    expect(await service.access(alice, 's1')).toMatchObject({ role: 'owner', mayShare: false });
    expect(await rejection(service.access(bob, 's1'))).toBeInstanceOf(NotFoundError);
    expect(await service.standing(alice, 's1')).toBe('ended');
    expect(await service.standing(bob, 's1')).toBe('ended');
    expect(await service.roleOf(alice, 's1')).toBeNull();
  });

  it('lists participants to those with a role in the session only', async () => {
    const { service } = setup();
    expect(await service.participants(alice, 's1')).toEqual([
      { userId: 'u2', username: 'bob', role: 'viewer', joinedAt: t0.toISOString() },
    ]);
    expect(await rejection(service.participants(bob, 's1'))).toBeInstanceOf(NotFoundError);
  });
});

describe('SharingService taking access back', () => {
  it('disable forgets the link and the participants, closes their streams and kicks their chat', async () => {
    const { service, repo, streams, bus } = setup();
    await service.disable(alice, 's1');
    expect(repo.setShareId).toHaveBeenCalledWith('s1', null);
    expect(repo.removeAll).toHaveBeenCalledWith('s1');
    expect(streams.disconnect).toHaveBeenCalledWith(expect.objectContaining({ id: 's1', agent_id: 'a1' }), {
      allExceptOwner: true,
    });
    expect(bus.publish).toHaveBeenCalledWith('s1', {
      type: 'kick',
      userId: null,
      reason: 'sharing was turned off',
    });
  });

  it('disable is the owner’s (or an administrator’s) to do', async () => {
    const { service, repo, streams, bus } = setup();
    expect(await rejection(service.disable(bob, 's1'))).toBeInstanceOf(NotFoundError);
    expect(repo.setShareId).not.toHaveBeenCalled();
    expect(streams.disconnect).not.toHaveBeenCalled();
    expect(bus.publish).not.toHaveBeenCalled();
    await service.disable(admin, 's1');
    expect(repo.setShareId).toHaveBeenCalledWith('s1', null);
  });

  it('removeParticipant closes that user’s streams and kicks them', async () => {
    const { service, repo, streams, bus } = setup({ participants: { 's1/u2': 'viewer' } });
    await service.removeParticipant(alice, 's1', 'u2');
    expect(repo.removeParticipant).toHaveBeenCalledWith('s1', 'u2');
    expect(streams.disconnect).toHaveBeenCalledWith(expect.objectContaining({ id: 's1' }), { userId: 'u2' });
    expect(bus.publish).toHaveBeenCalledWith('s1', {
      type: 'kick',
      userId: 'u2',
      reason: 'removed by the owner',
    });
  });

  it('removeParticipant answers 404 for someone who is not in the session', async () => {
    const { service, streams, bus } = setup();
    expect(await rejection(service.removeParticipant(alice, 's1', 'u3'))).toBeInstanceOf(NotFoundError);
    expect(streams.disconnect).not.toHaveBeenCalled();
    expect(bus.publish).not.toHaveBeenCalled();
  });

  it('a kick still happens when the bus is down', async () => {
    const { service, bus, streams } = setup({ participants: { 's1/u2': 'viewer' } });
    bus.publish.mockRejectedValueOnce(new Error('redis is down'));
    await expect(service.removeParticipant(alice, 's1', 'u2')).resolves.toBeUndefined();
    expect(streams.disconnect).toHaveBeenCalledTimes(1);
  });

  it('sessionEnded clears participants, ends every chat socket and the history', async () => {
    const { service, repo, bus } = setup();
    await service.sessionEnded('s1');
    expect(repo.removeAll).toHaveBeenCalledWith('s1');
    expect(bus.publish).toHaveBeenCalledWith('s1', { type: 'end', reason: 'the session ended' });
    expect(bus.clear).toHaveBeenCalledWith('s1');
  });
});

describe('SharingService sign-out and barred users', () => {
  const live = [
    { id: 's1', agent_id: 'a1' },
    { id: 's2', agent_id: 'a2' },
  ];

  it('signedOut closes the streams of that sign-in on every live session and counts them', async () => {
    const { service, streams, bus, repo } = setup({ liveOf: live });
    streams.disconnect.mockResolvedValueOnce(2).mockResolvedValueOnce(null);
    expect(await service.signedOut('u2', { signIn: 'sign-in-1' })).toBe(2);
    expect(repo.liveSessionsOf).toHaveBeenCalledWith('u2');
    expect(streams.disconnect.mock.calls).toEqual([
      [live[0], { userId: 'u2', signIn: 'sign-in-1', reconnect: 'signed_out' }],
      [live[1], { userId: 'u2', signIn: 'sign-in-1', reconnect: 'signed_out' }],
    ]);
    const event = { type: 'signed-out', userId: 'u2', signIn: 'sign-in-1', exceptSignIn: null };
    expect(bus.publish.mock.calls).toEqual([
      ['s1', event],
      ['s2', event],
    ]);
  });

  it('signedOut sparing one sign-in passes it on', async () => {
    const { service, streams, bus } = setup({ liveOf: [live[0] as { id: string; agent_id: string }] });
    expect(await service.signedOut('u2', { exceptSignIn: 'keep-me' })).toBe(1);
    expect(streams.disconnect).toHaveBeenCalledWith(live[0], {
      userId: 'u2',
      exceptSignIn: 'keep-me',
      reconnect: 'signed_out',
    });
    expect(bus.publish).toHaveBeenCalledWith('s1', {
      type: 'signed-out',
      userId: 'u2',
      signIn: null,
      exceptSignIn: 'keep-me',
    });
  });

  it('disconnectUser closes what a barred user holds and counts it', async () => {
    const { service, streams, bus } = setup({ liveOf: live });
    streams.disconnect.mockResolvedValueOnce(3).mockResolvedValueOnce(1);
    expect(await service.disconnectUser('u2')).toBe(4);
    expect(streams.disconnect.mock.calls).toEqual([
      [live[0], { userId: 'u2' }],
      [live[1], { userId: 'u2' }],
    ]);
    expect(bus.publish).toHaveBeenCalledWith('s2', {
      type: 'kick',
      userId: 'u2',
      reason: 'your account was locked or disabled',
    });
    expect(bus.publish).toHaveBeenCalledTimes(2);
  });

  it('a user with no live sessions closes nothing', async () => {
    const { service, streams, bus } = setup();
    expect(await service.disconnectUser('u2')).toBe(0);
    expect(await service.signedOut('u2')).toBe(0);
    expect(streams.disconnect).not.toHaveBeenCalled();
    expect(bus.publish).not.toHaveBeenCalled();
  });
});
