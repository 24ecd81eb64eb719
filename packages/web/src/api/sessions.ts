import {
  listOf,
  type SessionView,
  sessionEventSchema,
  sessionViewSchema,
  workspaceViewSchema,
} from '@porthole/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request, requestVoid } from './client';
import { queryKeys } from './keys';

export const sessionsApi = {
  workspaces: (signal?: AbortSignal) =>
    request('GET', '/api/workspaces', listOf(workspaceViewSchema), signal ? { signal } : {}).then(
      (r) => r.items,
    ),
  list: (signal?: AbortSignal) =>
    request('GET', '/api/sessions', listOf(sessionViewSchema), signal ? { signal } : {}).then((r) => r.items),
  get: (id: string, signal?: AbortSignal) =>
    request('GET', `/api/sessions/${encodeURIComponent(id)}`, sessionViewSchema, signal ? { signal } : {}),
  events: (id: string, signal?: AbortSignal) =>
    request(
      'GET',
      `/api/sessions/${encodeURIComponent(id)}/events`,
      listOf(sessionEventSchema),
      signal ? { signal } : {},
    ).then((r) => r.items),
  launch: (imageId: string) => request('POST', '/api/sessions', sessionViewSchema, { body: { imageId } }),
  keepalive: (id: string) =>
    request('POST', `/api/sessions/${encodeURIComponent(id)}/keepalive`, sessionViewSchema, { body: {} }),
  act: (id: string, action: SessionAction) =>
    request('POST', `/api/sessions/${encodeURIComponent(id)}/${action}`, sessionViewSchema, { body: {} }),
  remove: (id: string) => requestVoid('DELETE', `/api/sessions/${encodeURIComponent(id)}`),
};

export type SessionAction = 'pause' | 'resume' | 'stop';

export function useWorkspaces() {
  return useQuery({
    queryKey: queryKeys.workspaces,
    queryFn: ({ signal }) => sessionsApi.workspaces(signal),
  });
}

export function useMySessions() {
  return useQuery({
    queryKey: queryKeys.mySessions,
    queryFn: ({ signal }) => sessionsApi.list(signal),
    refetchInterval: 5_000,
  });
}

/** One session, polled faster while it is on its way somewhere (starting, pausing, …). */
export function useSession(id: string) {
  return useQuery({
    queryKey: queryKeys.session(id),
    queryFn: ({ signal }) => sessionsApi.get(id, signal),
    refetchInterval: (q) => {
      const state = q.state.data?.state;
      if (!state) return 5_000;
      if (state === 'deleted') return false;
      // Settled states change by someone's action (or expiry): a slow poll notices those.
      return ['running', 'paused', 'stopped', 'error', 'lost'].includes(state) ? 10_000 : 1_000;
    },
  });
}

export function useSessionEvents(id: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.sessionEvents(id),
    queryFn: ({ signal }) => sessionsApi.events(id, signal),
    enabled,
  });
}

function useSessionInvalidation() {
  const qc = useQueryClient();
  return (view?: SessionView) => {
    if (view) qc.setQueryData(queryKeys.session(view.id), view);
    void qc.invalidateQueries({ queryKey: queryKeys.mySessions });
  };
}

export function useSessionAction() {
  const invalidate = useSessionInvalidation();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: SessionAction }) => sessionsApi.act(id, action),
    onSuccess: (view) => invalidate(view),
  });
}

export function useDeleteSession() {
  const invalidate = useSessionInvalidation();
  return useMutation({
    mutationFn: (id: string) => sessionsApi.remove(id),
    onSuccess: () => invalidate(),
  });
}
