import { listOf } from '@porthole/contracts';
import { type QueryKey, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { request, requestVoid } from './client';

/**
 * Hooks for one admin resource that follows the API's shape: `GET path` → `{items}`, `POST path`,
 * `PATCH path/:id`, `DELETE path/:id`. Every answer is parsed with the resource's view schema.
 */
export function crudResource<V extends z.ZodType, C, U>(path: string, key: QueryKey, view: V) {
  type View = z.infer<V>;
  const list = (signal?: AbortSignal): Promise<View[]> =>
    request('GET', path, listOf(view), signal ? { signal } : {}).then((r) => r.items as View[]);
  const itemPath = (id: string) => `${path}/${encodeURIComponent(id)}`;

  return {
    list,
    useList(options: { refetchInterval?: number } = {}) {
      return useQuery({ queryKey: key, queryFn: ({ signal }) => list(signal), ...options });
    },
    useCreate() {
      const qc = useQueryClient();
      return useMutation({
        mutationFn: (body: C): Promise<View> => request('POST', path, view, { body }),
        onSuccess: () => qc.invalidateQueries({ queryKey: key }),
      });
    },
    useUpdate() {
      const qc = useQueryClient();
      return useMutation({
        mutationFn: ({ id, body }: { id: string; body: U }): Promise<View> =>
          request('PATCH', itemPath(id), view, { body }),
        onSuccess: () => qc.invalidateQueries({ queryKey: key }),
      });
    },
    useDelete(query = '') {
      const qc = useQueryClient();
      return useMutation({
        mutationFn: (id: string) => requestVoid('DELETE', `${itemPath(id)}${query}`),
        onSuccess: () => qc.invalidateQueries({ queryKey: key }),
      });
    },
  };
}
