import {
  joinedSessionSchema,
  listOf,
  participantViewSchema,
  sessionAccessSchema,
  shareViewSchema,
} from '@porthole/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isApiError, request, requestVoid } from './client';
import { queryKeys } from './keys';

const enc = encodeURIComponent;

export const sharingApi = {
  /** The session page's read: the session, the caller's role in it, whether they may share it. */
  access: (id: string, signal?: AbortSignal) =>
    request('GET', `/api/sessions/${enc(id)}/access`, sessionAccessSchema, signal ? { signal } : {}),
  join: (shareId: string) => request('POST', `/api/shares/${enc(shareId)}/join`, joinedSessionSchema),
  enable: (id: string) => request('POST', `/api/sessions/${enc(id)}/share`, shareViewSchema, { body: {} }),
  disable: (id: string) => requestVoid('DELETE', `/api/sessions/${enc(id)}/share`),
  participants: (id: string, signal?: AbortSignal) =>
    request(
      'GET',
      `/api/sessions/${enc(id)}/participants`,
      listOf(participantViewSchema),
      signal ? { signal } : {},
    ).then((r) => r.items),
  kick: (id: string, userId: string) =>
    requestVoid('DELETE', `/api/sessions/${enc(id)}/participants/${enc(userId)}`),
};

/** The session as its page shows it, polled faster while it is on its way somewhere. */
export function useSessionAccess(id: string) {
  return useQuery({
    queryKey: queryKeys.sessionAccess(id),
    queryFn: ({ signal }) => sharingApi.access(id, signal),
    refetchInterval: (q) => {
      const state = q.state.data?.session.state;
      // Gone for this caller (never theirs, or a participant who lost it): asking again won't help.
      if (isApiError(q.state.error) && q.state.error.status === 404) return false;
      if (!state) return 5_000;
      if (state === 'deleted') return false;
      return ['running', 'paused', 'stopped', 'error', 'lost'].includes(state) ? 10_000 : 1_000;
    },
  });
}

export function useParticipants(id: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.participants(id),
    queryFn: ({ signal }) => sharingApi.participants(id, signal),
    enabled,
    refetchInterval: enabled ? 5_000 : false,
  });
}

/** Turning sharing on or off changes the session's shareId: refresh the page's read at once. */
export function useShareToggle(id: string) {
  const qc = useQueryClient();
  const settle = () => {
    void qc.invalidateQueries({ queryKey: queryKeys.sessionAccess(id) });
    void qc.invalidateQueries({ queryKey: queryKeys.participants(id) });
  };
  const enable = useMutation({ mutationFn: () => sharingApi.enable(id), onSettled: settle });
  const disable = useMutation({ mutationFn: () => sharingApi.disable(id), onSettled: settle });
  return { enable, disable };
}

export function useKick(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => sharingApi.kick(id, userId),
    onSettled: () => void qc.invalidateQueries({ queryKey: queryKeys.participants(id) }),
  });
}
