import { Badge, Button, NumberInput, Select, SimpleGrid, Text } from '@mantine/core';
import { type StagingView, stagingCreateSchema, stagingUpdateSchema } from '@porthole/contracts';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { imagesApi, stagingApi, zonesApi } from '../../../api/admin';
import { FormModal } from '../../../components/FormModal';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState } from '../../../components/QueryState';
import { type Column, ResourceTable } from '../../../components/ResourceTable';
import { RowActions } from '../../../components/RowActions';
import { numberOrUndefined, useSchemaForm } from '../../../modules/forms/use-schema-form';
import { formatDuration } from '../../../modules/time/format';

type Values = {
  zoneId: string | null;
  imageId: string | null;
  desiredCount: number | string;
  expirationSeconds: number | string;
};

function StagingForm({ entry, onClose }: { entry: StagingView | null; onClose: () => void }) {
  const create = stagingApi.useCreate();
  const update = stagingApi.useUpdate();
  const zones = zonesApi.useList();
  const images = imagesApi.useList();
  const { form, submit, error, submitting } = useSchemaForm({
    schema: entry ? stagingUpdateSchema : stagingCreateSchema,
    initialValues: {
      zoneId: entry?.zoneId ?? null,
      imageId: entry?.imageId ?? null,
      desiredCount: entry?.desiredCount ?? 1,
      expirationSeconds: entry?.expirationSeconds ?? 3600,
    } satisfies Values,
    toPayload: (v: Values) => ({
      zoneId: v.zoneId ?? undefined,
      imageId: v.imageId ?? undefined,
      desiredCount: numberOrUndefined(v.desiredCount),
      expirationSeconds: numberOrUndefined(v.expirationSeconds),
    }),
    onSubmit: async (body) => {
      if (entry) await update.mutateAsync({ id: entry.id, body });
      else await create.mutateAsync(body as Parameters<typeof create.mutateAsync>[0]);
      onClose();
    },
  });
  return (
    <FormModal
      opened
      size="md"
      title={entry ? 'Edit staging' : 'New staging'}
      onClose={onClose}
      onSubmit={submit}
      submitting={submitting}
      error={error}
      submitLabel={entry ? 'Save' : 'Create'}
    >
      <Select
        label="Zone"
        required
        data={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
        {...form.getInputProps('zoneId')}
      />
      <Select
        label="Workspace"
        required
        searchable
        data={(images.data ?? []).map((i) => ({ value: i.id, label: i.friendlyName }))}
        {...form.getInputProps('imageId')}
      />
      <SimpleGrid cols={2}>
        <NumberInput
          label="Sessions kept ready"
          min={0}
          max={1000}
          allowDecimal={false}
          {...form.getInputProps('desiredCount')}
        />
        <NumberInput
          label="Recycle after"
          suffix=" s"
          min={60}
          allowDecimal={false}
          description="Unclaimed standby sessions are replaced after this long."
          {...form.getInputProps('expirationSeconds')}
        />
      </SimpleGrid>
    </FormModal>
  );
}

export function StagingPage() {
  const staging = stagingApi.useList({ refetchInterval: 5_000 });
  const zones = zonesApi.useList();
  const images = imagesApi.useList();
  const remove = stagingApi.useDelete();
  const [editing, setEditing] = useState<StagingView | null | 'new'>(null);
  const zoneName = (id: string) => zones.data?.find((z) => z.id === id)?.name ?? '…';
  const imageName = (id: string) => images.data?.find((i) => i.id === id)?.friendlyName ?? '…';
  const columns: Column<StagingView>[] = [
    {
      header: 'Workspace',
      cell: (s) => (
        <Text size="sm" fw={600}>
          {imageName(s.imageId)}
        </Text>
      ),
    },
    { header: 'Zone', cell: (s) => zoneName(s.zoneId) },
    {
      header: 'Ready',
      cell: (s) => (
        <Badge color={s.readyCount >= s.desiredCount ? 'teal' : 'orange'}>
          {s.readyCount} / {s.desiredCount}
        </Badge>
      ),
    },
    { header: 'Starting', cell: (s) => s.startingCount },
    { header: 'Recycle after', cell: (s) => formatDuration(s.expirationSeconds) },
  ];
  return (
    <>
      <PageHeader
        title="Staging"
        description="Sessions started ahead of time so a launch is instant. Each standby uses its full resources."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New staging
          </Button>
        }
      />
      <ResourceTable
        query={staging}
        empty={
          <EmptyState title="Nothing staged">
            Launches start a fresh container. Add staging for instant starts.
          </EmptyState>
        }
        minWidth={640}
        columns={columns}
        rowKey={(s) => s.id}
        rowActions={(s) => (
          <RowActions
            name={imageName(s.imageId)}
            onEdit={() => setEditing(s)}
            onDelete={() => remove.mutateAsync(s.id)}
            deleteMessage="Its standby sessions are removed."
          />
        )}
      />
      {editing !== null && (
        <StagingForm entry={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
