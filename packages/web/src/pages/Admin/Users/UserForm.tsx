import { MultiSelect, PasswordInput, SimpleGrid, Switch, TextInput } from '@mantine/core';
import { type AdminUserView, userCreateSchema, userUpdateSchema } from '@porthole/contracts';
import { groupsApi, usersApi } from '../../../api/admin';
import { FormModal } from '../../../components/FormModal';
import { blankToUndefined, useSchemaForm } from '../../../modules/forms/use-schema-form';

interface Props {
  user: AdminUserView | null;
  onClose: () => void;
}

type Values = {
  username: string;
  password: string;
  displayName: string;
  groupIds: string[];
  locked: boolean;
  disabled: boolean;
};

/** Create (user = null) or edit a user; a blank password on edit keeps the current one. */
export function UserForm({ user, onClose }: Props) {
  const create = usersApi.useCreate();
  const update = usersApi.useUpdate();
  const groups = groupsApi.useList();
  const editing = user !== null;
  const { form, submit, error, submitting } = useSchemaForm({
    schema: editing ? userUpdateSchema : userCreateSchema,
    initialValues: {
      username: user?.username ?? '',
      password: '',
      displayName: user?.displayName ?? '',
      groupIds: user?.groupIds ?? [],
      locked: user?.locked ?? false,
      disabled: user?.disabled ?? false,
    } satisfies Values,
    toPayload: (v: Values) =>
      editing
        ? {
            username: v.username.trim(),
            ...(v.password ? { password: v.password } : {}),
            displayName: v.displayName.trim(),
            groupIds: v.groupIds,
            locked: v.locked,
            disabled: v.disabled,
          }
        : {
            username: v.username.trim(),
            password: v.password,
            ...(blankToUndefined(v.displayName) ? { displayName: v.displayName.trim() } : {}),
            groupIds: v.groupIds,
            locked: v.locked,
            disabled: v.disabled,
          },
    onSubmit: async (body) => {
      if (user) await update.mutateAsync({ id: user.id, body });
      else await create.mutateAsync(body as Parameters<typeof create.mutateAsync>[0]);
      onClose();
    },
  });
  // The built-in All Users group is implicit; offering it would only confuse.
  const groupOptions = (groups.data ?? [])
    .filter((g) => g.systemRole !== 'all_users')
    .map((g) => ({ value: g.id, label: g.name }));

  return (
    <FormModal
      opened
      title={editing ? `Edit ${user.username}` : 'New user'}
      onClose={onClose}
      onSubmit={submit}
      submitting={submitting}
      error={error}
      submitLabel={editing ? 'Save changes' : 'Create user'}
    >
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput label="Username" required autoComplete="off" {...form.getInputProps('username')} />
        <TextInput label="Display name" {...form.getInputProps('displayName')} />
      </SimpleGrid>
      <PasswordInput
        label={editing ? 'New password' : 'Password'}
        description={editing ? 'Leave blank to keep the current password.' : 'At least 8 characters.'}
        required={!editing}
        autoComplete="new-password"
        {...form.getInputProps('password')}
      />
      <MultiSelect
        label="Groups"
        description="Groups decide what the user may launch and which settings apply."
        data={groupOptions}
        searchable
        placeholder={groups.isPending ? 'Loading groups…' : 'Choose groups'}
        {...form.getInputProps('groupIds')}
      />
      <SimpleGrid cols={2}>
        <Switch
          label="Locked"
          description="Cannot sign in until unlocked"
          {...form.getInputProps('locked', { type: 'checkbox' })}
        />
        <Switch
          label="Disabled"
          description="Account switched off"
          {...form.getInputProps('disabled', { type: 'checkbox' })}
        />
      </SimpleGrid>
    </FormModal>
  );
}
