import { Badge, Button, Switch, Text, TextInput } from '@mantine/core';
import { type ZoneView, zoneCreateSchema, zoneUpdateSchema } from '@porthole/contracts';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { zonesApi } from '../../../api/admin';
import { FormModal } from '../../../components/FormModal';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState } from '../../../components/QueryState';
import { type Column, ResourceTable } from '../../../components/ResourceTable';
import { RowActions } from '../../../components/RowActions';
import { useSchemaForm } from '../../../modules/forms/use-schema-form';

type Values = { name: string; searchAlternateZones: boolean };

function ZoneForm({ zone, onClose }: { zone: ZoneView | null; onClose: () => void }) {
  const create = zonesApi.useCreate();
  const update = zonesApi.useUpdate();
  const { form, submit, error, submitting } = useSchemaForm({
    schema: zone ? zoneUpdateSchema : zoneCreateSchema,
    initialValues: {
      name: zone?.name ?? '',
      searchAlternateZones: zone?.searchAlternateZones ?? true,
    } satisfies Values,
    toPayload: (v: Values) => ({ name: v.name.trim(), searchAlternateZones: v.searchAlternateZones }),
    onSubmit: async (body) => {
      if (zone) await update.mutateAsync({ id: zone.id, body });
      else await create.mutateAsync(body as Parameters<typeof create.mutateAsync>[0]);
      onClose();
    },
  });
  return (
    <FormModal
      opened
      size="md"
      title={zone ? `Zone: ${zone.name}` : 'New zone'}
      onClose={onClose}
      onSubmit={submit}
      submitting={submitting}
      error={error}
      submitLabel={zone ? 'Save zone' : 'Create zone'}
    >
      <TextInput label="Name" required {...form.getInputProps('name')} />
      <Switch
        label="Search other zones"
        description="When this zone has no room, place sessions in another zone instead of refusing."
        {...form.getInputProps('searchAlternateZones', { type: 'checkbox' })}
      />
    </FormModal>
  );
}

const columns: Column<ZoneView>[] = [
  {
    header: 'Zone',
    cell: (z) => (
      <>
        <Text size="sm" fw={600} span>
          {z.name}
        </Text>{' '}
        {z.isDefault && (
          <Badge size="xs" color="porthole" ml={6}>
            default
          </Badge>
        )}
      </>
    ),
  },
  { header: 'Servers', cell: (z) => z.agentCount },
  {
    header: 'Fallback to other zones',
    cell: (z) => (
      <Badge color={z.searchAlternateZones ? 'teal' : 'gray'}>{z.searchAlternateZones ? 'Yes' : 'No'}</Badge>
    ),
  },
];

export function ZonesPage() {
  const zones = zonesApi.useList();
  const remove = zonesApi.useDelete();
  const [editing, setEditing] = useState<ZoneView | null | 'new'>(null);
  return (
    <>
      <PageHeader
        title="Zones"
        description="Groups of servers, e.g. per site or region. Sessions start in a zone."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New zone
          </Button>
        }
      />
      <ResourceTable
        query={zones}
        empty={<EmptyState title="No zones" />}
        columns={columns}
        rowKey={(z) => z.id}
        rowActions={(z) => (
          <RowActions
            name={z.name}
            onEdit={() => setEditing(z)}
            {...(z.isDefault ? {} : { onDelete: () => remove.mutateAsync(z.id) })}
          />
        )}
      />
      {editing !== null && (
        <ZoneForm zone={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
