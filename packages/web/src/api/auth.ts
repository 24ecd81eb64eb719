import { type LoginRequest, loginResponseSchema, type UserView } from '@porthole/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, request, requestVoid } from './client';
import { queryKeys } from './keys';

/** The signed-in user, or null when signed out (a 401 is an answer here, not an error). */
export async function fetchMe(signal?: AbortSignal): Promise<UserView | null> {
  try {
    const res = await request('GET', '/api/auth/me', loginResponseSchema, signal ? { signal } : {});
    return res.user;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: ({ signal }) => fetchMe(signal),
    staleTime: 60_000,
  });
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: LoginRequest) => request('POST', '/api/auth/login', loginResponseSchema, { body }),
    onSuccess: (res) => {
      // Whatever was cached belonged to the previous user, if any.
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== queryKeys.me[0] });
      qc.setQueryData(queryKeys.me, res.user);
    },
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => requestVoid('POST', '/api/auth/logout'),
    onSettled: () => {
      qc.clear();
      qc.setQueryData(queryKeys.me, null);
    },
  });
}
