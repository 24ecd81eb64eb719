import {
  Button,
  FileButton,
  Group,
  Image,
  JsonInput,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Switch,
  Tabs,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { type ImageView, imageCreateSchema, imageUpdateSchema } from '@porthole/contracts';
import { agentsApi, groupsApi, imagesApi, zonesApi } from '../../../api/admin';
import { FormModal } from '../../../components/FormModal';
import { useSchemaForm } from '../../../modules/forms/use-schema-form';
import { checkImageJson, type ImageFormValues, imageFormValues, imagePayload } from './image-form-values';

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function ImageForm({ image, onClose }: { image: ImageView | null; onClose: () => void }) {
  const create = imagesApi.useCreate();
  const update = imagesApi.useUpdate();
  const zones = zonesApi.useList();
  const agents = agentsApi.useList();
  const groups = groupsApi.useList();
  const editing = image !== null;
  const { form, submit, error, submitting } = useSchemaForm({
    schema: editing ? imageUpdateSchema : imageCreateSchema,
    initialValues: imageFormValues(image),
    toPayload: (v: ImageFormValues) => imagePayload(v, editing),
    check: checkImageJson,
    onSubmit: async (body) => {
      if (image) await update.mutateAsync({ id: image.id, body });
      else await create.mutateAsync(body as Parameters<typeof create.mutateAsync>[0]);
      onClose();
    },
  });
  const has = (...fields: string[]) =>
    fields.some((f) => Object.keys(form.errors).some((k) => k === f || k.startsWith(`${f}.`)));
  const mark = (on: boolean) =>
    on ? (
      <Text c="red" fw={700} size="sm">
        !
      </Text>
    ) : null;

  return (
    <FormModal
      opened
      size="xl"
      title={editing ? `Workspace: ${image.friendlyName}` : 'New workspace'}
      onClose={onClose}
      onSubmit={submit}
      submitting={submitting}
      error={error}
      submitLabel={editing ? 'Save workspace' : 'Create workspace'}
    >
      <Tabs defaultValue="general">
        <Tabs.List mb="md">
          <Tabs.Tab
            value="general"
            rightSection={mark(
              has('name', 'friendlyName', 'description', 'dockerImage', 'icon', 'categories'),
            )}
          >
            General
          </Tabs.Tab>
          <Tabs.Tab
            value="resources"
            rightSection={mark(has('cores', 'memoryMb', 'shmMb', 'network', 'zoneId', 'agentId'))}
          >
            Resources
          </Tabs.Tab>
          <Tabs.Tab value="access" rightSection={mark(has('groupIds'))}>
            Access
          </Tabs.Tab>
          <Tabs.Tab value="advanced" rightSection={mark(has('runConfig', 'execConfig'))}>
            Advanced
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="general">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Display name" required {...form.getInputProps('friendlyName')} />
            <TextInput
              label="Name"
              description="Lowercase id, e.g. firefox"
              required
              {...form.getInputProps('name')}
            />
          </SimpleGrid>
          <TextInput
            mt="md"
            label="Docker image"
            placeholder="porthole/firefox:latest"
            required
            {...form.getInputProps('dockerImage')}
          />
          <Textarea mt="md" label="Description" autosize minRows={2} {...form.getInputProps('description')} />
          <TagsInput
            mt="md"
            label="Categories"
            placeholder="Type and press Enter"
            {...form.getInputProps('categories')}
          />
          <Group mt="md" align="flex-end" gap="md" wrap="nowrap">
            {form.values.icon ? <Image src={form.values.icon} w={48} h={48} fit="contain" alt="" /> : null}
            <TextInput
              label="Icon"
              description="A data: URI (SVG or PNG) or upload a file"
              style={{ flex: 1 }}
              {...form.getInputProps('icon')}
            />
            <FileButton
              accept="image/svg+xml,image/png"
              onChange={(f) => f && void readAsDataUrl(f).then((u) => form.setFieldValue('icon', u))}
            >
              {(props) => (
                <Button variant="default" {...props}>
                  Upload
                </Button>
              )}
            </FileButton>
          </Group>
          <Switch
            mt="lg"
            label="Enabled"
            description="Disabled workspaces cannot be launched; agents stop pulling them."
            {...form.getInputProps('enabled', { type: 'checkbox' })}
          />
        </Tabs.Panel>
        <Tabs.Panel value="resources">
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput
              label="Cores"
              min={0.1}
              max={256}
              step={0.5}
              decimalScale={2}
              {...form.getInputProps('cores')}
            />
            <NumberInput
              label="Memory"
              suffix=" MiB"
              min={64}
              step={256}
              allowDecimal={false}
              {...form.getInputProps('memoryMb')}
            />
            <NumberInput
              label="Shared memory"
              suffix=" MiB"
              min={0}
              step={64}
              allowDecimal={false}
              {...form.getInputProps('shmMb')}
            />
          </SimpleGrid>
          <TextInput
            mt="md"
            label="Docker network"
            description="Blank for the default session network"
            {...form.getInputProps('network')}
          />
          <SimpleGrid mt="md" cols={{ base: 1, sm: 2 }}>
            <Select
              label="Zone"
              placeholder="Any zone"
              clearable
              data={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
              {...form.getInputProps('zoneId')}
            />
            <Select
              label="Server"
              placeholder="Any server"
              clearable
              data={(agents.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
              {...form.getInputProps('agentId')}
            />
          </SimpleGrid>
        </Tabs.Panel>
        <Tabs.Panel value="access">
          <MultiSelect
            label="Groups"
            description="Members of these groups may launch this workspace."
            searchable
            data={(groups.data ?? []).map((g) => ({ value: g.id, label: g.name }))}
            {...form.getInputProps('groupIds')}
          />
        </Tabs.Panel>
        <Tabs.Panel value="advanced">
          <JsonInput
            label="Run config"
            description="Container overrides: environment, hostname, dns, extraHosts, pidsLimit, readOnlyRootfs, volumes"
            autosize
            minRows={4}
            formatOnBlur
            placeholder="{}"
            {...form.getInputProps('runConfig')}
          />
          <JsonInput
            mt="md"
            label="Exec config"
            description='Commands run in the session, e.g. {"firstLaunch": {"cmd": "…"}}'
            autosize
            minRows={3}
            formatOnBlur
            placeholder="{}"
            {...form.getInputProps('execConfig')}
          />
        </Tabs.Panel>
      </Tabs>
    </FormModal>
  );
}
