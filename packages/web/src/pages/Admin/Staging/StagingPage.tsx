import { Badge, Button, Card, NumberInput, Select, SimpleGrid, Table, Text } from '@mantine/core';
import { type StagingView, stagingCreateSchema, stagingUpdateSchema } from '@porthole/contracts';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { imagesApi, stagingApi, zonesApi } from '../../../api/admin';
import { FormModal } from '../../../components/FormModal';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState, QueryState } from '../../../components/QueryState';
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
      <QueryState
        query={staging}
        empty={
          <EmptyState title="Nothing staged">
            Launches start a fresh container. Add staging for instant starts.
          </EmptyState>
        }
      >
        {(items) => (
          <Card p={0}>
            <Table.ScrollContainer minWidth={640}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Workspace</Table.Th>
                    <Table.Th>Zone</Table.Th>
                    <Table.Th>Ready</Table.Th>
                    <Table.Th>Starting</Table.Th>
                    <Table.Th>Recycle after</Table.Th>
                    <Table.Th w={96} />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((s) => (
                    <Table.Tr key={s.id}>
                      <Table.Td>
                        <Text size="sm" fw={600}>
                          {imageName(s.imageId)}
                        </Text>
                      </Table.Td>
                      <Table.Td>{zoneName(s.zoneId)}</Table.Td>
                      <Table.Td>
                        <Badge color={s.readyCount >= s.desiredCount ? 'teal' : 'orange'}>
                          {s.readyCount} / {s.desiredCount}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{s.startingCount}</Table.Td>
                      <Table.Td>{formatDuration(s.expirationSeconds)}</Table.Td>
                      <Table.Td>
                        <RowActions
                          name={imageName(s.imageId)}
                          onEdit={() => setEditing(s)}
                          onDelete={() => remove.mutateAsync(s.id)}
                          deleteMessage="Its standby sessions are removed."
                        />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Card>
        )}
      </QueryState>
      {editing !== null && (
        <StagingForm entry={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
