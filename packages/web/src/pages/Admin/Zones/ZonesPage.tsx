import { Badge, Button, Card, Switch, Table, Text, TextInput } from '@mantine/core';
import { type ZoneView, zoneCreateSchema, zoneUpdateSchema } from '@porthole/contracts';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { zonesApi } from '../../../api/admin';
import { FormModal } from '../../../components/FormModal';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState, QueryState } from '../../../components/QueryState';
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
      <QueryState query={zones} empty={<EmptyState title="No zones" />}>
        {(items) => (
          <Card p={0}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Zone</Table.Th>
                  <Table.Th>Servers</Table.Th>
                  <Table.Th>Fallback to other zones</Table.Th>
                  <Table.Th w={96} />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((z) => (
                  <Table.Tr key={z.id}>
                    <Table.Td>
                      <Text size="sm" fw={600} span>
                        {z.name}
                      </Text>{' '}
                      {z.isDefault && (
                        <Badge size="xs" color="porthole" ml={6}>
                          default
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{z.agentCount}</Table.Td>
                    <Table.Td>
                      <Badge color={z.searchAlternateZones ? 'teal' : 'gray'}>
                        {z.searchAlternateZones ? 'Yes' : 'No'}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <RowActions
                        name={z.name}
                        onEdit={() => setEditing(z)}
                        {...(z.isDefault ? {} : { onDelete: () => remove.mutateAsync(z.id) })}
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        )}
      </QueryState>
      {editing !== null && (
        <ZoneForm zone={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
