import {
  type AgentUpdate,
  adminUserViewSchema,
  agentViewSchema,
  type GroupCreate,
  type GroupUpdate,
  groupViewSchema,
  type ImageCreate,
  type ImageUpdate,
  imageViewSchema,
  listOf,
  registrationTokenViewSchema,
  type SessionState,
  type StagingCreate,
  type StagingUpdate,
  sessionViewSchema,
  stagingViewSchema,
  systemInfoSchema,
  type UserCreate,
  type UserUpdate,
  type ZoneCreate,
  type ZoneUpdate,
  zoneViewSchema,
} from '@porthole/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { request, requestVoid } from './client';
import { crudResource } from './crud';
import { queryKeys } from './keys';

export const usersApi = crudResource<typeof adminUserViewSchema, UserCreate, UserUpdate>(
  '/api/admin/users',
  queryKeys.admin.users,
  adminUserViewSchema,
);
export const groupsApi = crudResource<typeof groupViewSchema, GroupCreate, GroupUpdate>(
  '/api/admin/groups',
  queryKeys.admin.groups,
  groupViewSchema,
);
export const imagesApi = crudResource<typeof imageViewSchema, ImageCreate, ImageUpdate>(
  '/api/admin/images',
  queryKeys.admin.images,
  imageViewSchema,
);
export const zonesApi = crudResource<typeof zoneViewSchema, ZoneCreate, ZoneUpdate>(
  '/api/admin/zones',
  queryKeys.admin.zones,
  zoneViewSchema,
);
export const stagingApi = crudResource<typeof stagingViewSchema, StagingCreate, StagingUpdate>(
  '/api/admin/staging',
  queryKeys.admin.staging,
  stagingViewSchema,
);
export const agentsApi = crudResource<typeof agentViewSchema, never, AgentUpdate>(
  '/api/admin/agents',
  queryKeys.admin.agents,
  agentViewSchema,
);

/** One entry of `GET /api/admin/group-settings`: what the settings editor renders. */
export const settingSpecSchema = z.object({
  name: z.string(),
  type: z.enum(['boolean', 'integer', 'enum']),
  default: z.union([z.boolean(), z.number(), z.string()]),
  description: z.string(),
  unit: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  values: z.array(z.string()).optional(),
});
export type SettingSpec = z.infer<typeof settingSpecSchema>;

export function useGroupSettingsCatalogue() {
  return useQuery({
    queryKey: queryKeys.admin.groupSettings,
    queryFn: ({ signal }) =>
      request('GET', '/api/admin/group-settings', listOf(settingSpecSchema), { signal }).then((r) => r.items),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useSystemInfo() {
  return useQuery({
    queryKey: queryKeys.admin.systemInfo,
    queryFn: ({ signal }) => request('GET', '/api/admin/system-info', systemInfoSchema, { signal }),
    refetchInterval: 30_000,
  });
}

export function useRegistrationToken() {
  return useQuery({
    queryKey: queryKeys.admin.registrationToken,
    queryFn: ({ signal }) =>
      request('GET', '/api/admin/agents/registration-token', registrationTokenViewSchema, { signal }),
  });
}

export function useRotateRegistrationToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      request('POST', '/api/admin/agents/registration-token/rotate', registrationTokenViewSchema, {
        body: {},
      }),
    onSuccess: (token) => qc.setQueryData(queryKeys.admin.registrationToken, token),
  });
}

export interface AdminSessionFilter {
  userId?: string | undefined;
  agentId?: string | undefined;
  state?: SessionState | undefined;
}

export function useAdminSessions(filter: AdminSessionFilter) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) params.set(k, v);
  const qs = params.toString();
  return useQuery({
    queryKey: queryKeys.admin.sessions({ ...filter }),
    queryFn: ({ signal }) =>
      request('GET', `/api/admin/sessions${qs ? `?${qs}` : ''}`, listOf(sessionViewSchema), { signal }).then(
        (r) => r.items,
      ),
    refetchInterval: 5_000,
  });
}

export function useDestroySession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => requestVoid('DELETE', `/api/admin/sessions/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['admin', 'sessions'] }),
  });
}
