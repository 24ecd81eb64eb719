import {
  type AuditPage,
  type AuditSettings,
  auditPageSchema,
  auditSettingsSchema,
} from '@porthole/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './keys';

/** The filters the Audit tab offers; empty strings mean "any". */
export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export function auditQueryString(filter: AuditFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, ...extra })) if (v) params.set(k, v);
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/** The CSV export of the same filters: a plain link, so the browser downloads it with the cookie. */
export const auditCsvUrl = (filter: AuditFilter) => `/api/admin/audit.csv${auditQueryString(filter)}`;

export const AUDIT_PAGE_SIZE = 50;

function useAuditPage(filter: AuditFilter, cursor: string | null) {
  const qs = auditQueryString(filter, { limit: String(AUDIT_PAGE_SIZE), ...(cursor ? { cursor } : {}) });
  return {
    queryKey: queryKeys.admin.audit({ ...filter, cursor: cursor ?? undefined }),
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      request('GET', `/api/admin/audit${qs}`, auditPageSchema, { signal }),
  };
}

/** One page of entries (newest first) and the cursor of the next, from one request. */
export function useAuditEntries(filter: AuditFilter, cursor: string | null) {
  const options = useAuditPage(filter, cursor);
  const entries = useQuery({ ...options, select: (p: AuditPage) => p.items });
  const next = useQuery({ ...options, select: (p: AuditPage) => p.nextCursor });
  return { entries, nextCursor: next.data ?? null };
}

export function useAuditSettings() {
  return useQuery({
    queryKey: queryKeys.admin.auditSettings,
    queryFn: ({ signal }) => request('GET', '/api/admin/audit/settings', auditSettingsSchema, { signal }),
  });
}

export function useUpdateAuditSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AuditSettings) =>
      request('PATCH', '/api/admin/audit/settings', auditSettingsSchema, { body }),
    onSuccess: (data) => client.setQueryData(queryKeys.admin.auditSettings, data),
  });
}
