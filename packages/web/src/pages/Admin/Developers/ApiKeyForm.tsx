import { Checkbox, SimpleGrid, Switch, TextInput } from '@mantine/core';
import {
  type ApiKeyCreated,
  type ApiKeyPermission,
  apiKeyCreateSchema,
  apiKeyPermissions,
} from '@porthole/contracts';
import { useCreateApiKey } from '../../../api/api-keys';
import { FormModal } from '../../../components/FormModal';
import { useSchemaForm } from '../../../modules/forms/use-schema-form';

/** What each permission lets a key do (docs/api/kasm-compat.md); a Record so none is forgotten. */
export const permissionHelp: Record<ApiKeyPermission, string> = {
  global_admin: 'Everything below, and the native /api/admin API',
  users_view: 'get_users, get_user, get_attributes, get_user_permissions',
  users_create: 'create_user',
  users_modify: 'update_user, update_user_attributes',
  users_delete: 'delete_user',
  users_auth_session: 'Act for a user: request_kasm, logout_user, join_kasm, kasm_url links',
  sessions_view: 'get_kasms, get_user_kasms, get_kasm_status',
  sessions_modify: 'destroy_kasm, keepalive, pause/resume/stop_kasm, exec_command_kasm',
  images_view: 'get_images',
  groups_modify: 'add_user_group, remove_user_group, add/remove_user_permission',
  zones_view: 'get_zones',
  staging_view: 'get_staging_configs, get_staging_config',
  staging_create: 'create_staging_config',
  staging_modify: 'update_staging_config',
  staging_delete: 'delete_staging_config',
  user: 'Accepted so keys set up for Kasm carry over; grants nothing on its own',
};

/** global_admin first (it implies the rest), Kasm's inert `user` last. */
const permissionOrder: readonly ApiKeyPermission[] = [
  ...apiKeyPermissions.filter((p) => p !== 'user'),
  'user',
];

type Values = {
  name: string;
  permissions: string[];
  readOnly: boolean;
  /** `YYYY-MM-DD` from the date input, or '' for a key that never expires. */
  expiresAt: string;
};

/** A date input's day → the start of that day in UTC, which is what the help text promises. */
export function expiryFromDay(day: string): string | null {
  return day.trim() === '' ? null : `${day.trim()}T00:00:00Z`;
}

interface Props {
  onClose: () => void;
  /** Called with the create answer: the only time the secret exists outside the server. */
  onCreated: (key: ApiKeyCreated) => void;
}

/** Create an API key. Keys are not edited here: a new key and a revoke is the safer rotation. */
export function ApiKeyForm({ onClose, onCreated }: Props) {
  const create = useCreateApiKey();
  const { form, submit, error, submitting } = useSchemaForm({
    schema: apiKeyCreateSchema,
    initialValues: { name: '', permissions: [], readOnly: false, expiresAt: '' } satisfies Values,
    toPayload: (v: Values) => ({
      name: v.name.trim(),
      permissions: v.permissions,
      readOnly: v.readOnly,
      expiresAt: expiryFromDay(v.expiresAt),
    }),
    onSubmit: async (body) => {
      onCreated(await create.mutateAsync(body));
    },
  });

  return (
    <FormModal
      opened
      title="New API key"
      onClose={onClose}
      onSubmit={submit}
      submitting={submitting}
      error={error}
      submitLabel="Create key"
    >
      <TextInput
        label="Name"
        description="What the key is for, e.g. the script or integration that uses it."
        required
        autoComplete="off"
        {...form.getInputProps('name')}
      />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          type="date"
          label="Expires"
          description="Optional: stops working at the start of this day (UTC)."
          {...form.getInputProps('expiresAt')}
        />
        <Switch
          mt={{ base: 0, sm: 'xl' }}
          label="Read-only"
          description="Only read endpoints, whatever its permissions."
          {...form.getInputProps('readOnly', { type: 'checkbox' })}
        />
      </SimpleGrid>
      <Checkbox.Group
        label="Permissions"
        description="What the key may call on the developer API (/api/public)."
        {...form.getInputProps('permissions')}
      >
        <SimpleGrid cols={{ base: 1, sm: 2 }} mt="xs" spacing="xs">
          {permissionOrder.map((p) => (
            <Checkbox key={p} value={p} label={p} description={permissionHelp[p]} />
          ))}
        </SimpleGrid>
      </Checkbox.Group>
    </FormModal>
  );
}
