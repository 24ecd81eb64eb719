import {
  type ApiKeyCreate,
  type ApiKeyCreated,
  type ApiKeyUpdate,
  apiKeyCreatedSchema,
  apiKeyViewSchema,
} from '@porthole/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { crudResource } from './crud';
import { queryKeys } from './keys';

/** API keys of the developer API (`/api/admin/api-keys`): listed without their secrets. */
export const apiKeysApi = crudResource<typeof apiKeyViewSchema, ApiKeyCreate, ApiKeyUpdate>(
  '/api/admin/api-keys',
  queryKeys.admin.apiKeys,
  apiKeyViewSchema,
);

/**
 * Creating a key is the one answer that carries `api_key_secret`; the generic create would parse
 * it with the list's schema and drop the secret, so this one keeps it.
 */
export function useCreateApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiKeyCreate): Promise<ApiKeyCreated> =>
      request('POST', '/api/admin/api-keys', apiKeyCreatedSchema, { body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.admin.apiKeys }),
  });
}
