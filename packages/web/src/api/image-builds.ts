import { type ImageBuildsView, imageBuildsViewSchema } from '@porthole/contracts';
import { useQuery } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './keys';

/** How often the Workspaces page asks while images are building. */
export const IMAGE_BUILDS_POLL_MS = 2_000;

/**
 * The default images' background build (`porthole up`). Polled only while something is queued
 * or building: once every image is done (or the server builds nothing) the page stops asking.
 */
export function useImageBuilds(pollMs: number = IMAGE_BUILDS_POLL_MS) {
  return useQuery({
    queryKey: queryKeys.admin.imageBuilds,
    queryFn: ({ signal }) => request('GET', '/api/admin/image-builds', imageBuildsViewSchema, { signal }),
    refetchInterval: (query) => (isActive(query.state.data) ? pollMs : false),
  });
}

function isActive(view: ImageBuildsView | undefined): boolean {
  return view?.active ?? false;
}
