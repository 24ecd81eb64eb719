import { Alert, Badge, MultiSelect, NumberInput, SimpleGrid, Tabs, Textarea, TextInput } from '@mantine/core';
import { type GroupView, groupCreateSchema, groupUpdateSchema } from '@porthole/contracts';
import { groupsApi, imagesApi, useGroupSettingsCatalogue, usersApi } from '../../../api/admin';
import { FormModal } from '../../../components/FormModal';
import { LoadingState } from '../../../components/QueryState';
import { numberOrUndefined, useSchemaForm } from '../../../modules/forms/use-schema-form';
import { GroupSettingsEditor, type SettingsValue } from './GroupSettingsEditor';

type Values = {
  name: string;
  description: string;
  priority: number | string;
  settings: SettingsValue;
  memberIds: string[];
  imageIds: string[];
};

export function GroupForm({ group, onClose }: { group: GroupView | null; onClose: () => void }) {
  const create = groupsApi.useCreate();
  const update = groupsApi.useUpdate();
  const catalogue = useGroupSettingsCatalogue();
  const users = usersApi.useList();
  const images = imagesApi.useList();
  const editing = group !== null;
  const allUsers = group?.systemRole === 'all_users';

  const { form, submit, error, submitting } = useSchemaForm({
    schema: editing ? groupUpdateSchema : groupCreateSchema,
    initialValues: {
      name: group?.name ?? '',
      description: group?.description ?? '',
      priority: group?.priority ?? 100,
      settings: (group?.settings ?? {}) as SettingsValue,
      memberIds: group?.memberIds ?? [],
      imageIds: group?.imageIds ?? [],
    } satisfies Values,
    toPayload: (v: Values) => ({
      name: v.name.trim(),
      description: v.description,
      priority: numberOrUndefined(v.priority),
      settings: v.settings,
      // Everyone is in All Users: membership of that group is not edited.
      ...(allUsers ? {} : { memberIds: v.memberIds }),
      imageIds: v.imageIds,
    }),
    onSubmit: async (body) => {
      if (group) await update.mutateAsync({ id: group.id, body });
      else await create.mutateAsync(body as Parameters<typeof create.mutateAsync>[0]);
      onClose();
    },
  });

  const tabError = (prefix: string) =>
    Object.keys(form.errors).some((k) => k === prefix || k.startsWith(`${prefix}.`));
  const dot = (on: boolean) =>
    on ? (
      <Badge size="xs" color="red" circle>
        !
      </Badge>
    ) : null;

  return (
    <FormModal
      opened
      size="xl"
      title={editing ? `Group: ${group.name}` : 'New group'}
      onClose={onClose}
      onSubmit={submit}
      submitting={submitting}
      error={error}
      submitLabel={editing ? 'Save group' : 'Create group'}
    >
      <Tabs defaultValue="general" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab
            value="general"
            rightSection={dot(tabError('name') || tabError('priority') || tabError('description'))}
          >
            General
          </Tabs.Tab>
          <Tabs.Tab value="settings" rightSection={dot(tabError('settings'))}>
            Settings
          </Tabs.Tab>
          <Tabs.Tab value="members" rightSection={dot(tabError('memberIds'))}>
            Members
          </Tabs.Tab>
          <Tabs.Tab value="workspaces" rightSection={dot(tabError('imageIds'))}>
            Workspaces
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="general">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Name" required {...form.getInputProps('name')} />
            <NumberInput
              label="Priority"
              description="Lower number wins when a user's groups disagree on a setting."
              min={0}
              max={100_000}
              allowDecimal={false}
              {...form.getInputProps('priority')}
            />
          </SimpleGrid>
          <Textarea label="Description" mt="md" autosize minRows={2} {...form.getInputProps('description')} />
        </Tabs.Panel>
        <Tabs.Panel value="settings">
          {catalogue.isPending ? (
            <LoadingState label="Loading settings…" />
          ) : (
            <GroupSettingsEditor
              catalogue={catalogue.data ?? []}
              value={form.values.settings}
              errors={form.errors}
              onChange={(settings) => {
                form.setFieldValue('settings', settings);
                form.clearFieldError('settings');
              }}
            />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="members">
          {allUsers ? (
            <Alert color="blue" variant="light">
              Every user is a member of this group; membership is not edited here.
            </Alert>
          ) : (
            <MultiSelect
              label="Members"
              data={(users.data ?? []).map((u) => ({
                value: u.id,
                label: u.displayName ? `${u.displayName} (${u.username})` : u.username,
              }))}
              searchable
              placeholder={users.isPending ? 'Loading users…' : 'Add members'}
              {...form.getInputProps('memberIds')}
            />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="workspaces">
          <MultiSelect
            label="Allowed workspaces"
            description="Members may launch these. A user may launch the union of their groups' workspaces."
            data={(images.data ?? []).map((i) => ({ value: i.id, label: i.friendlyName }))}
            searchable
            placeholder={images.isPending ? 'Loading workspaces…' : 'Add workspaces'}
            {...form.getInputProps('imageIds')}
          />
        </Tabs.Panel>
      </Tabs>
    </FormModal>
  );
}
