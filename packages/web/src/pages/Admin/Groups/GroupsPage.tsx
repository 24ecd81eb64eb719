import { Badge, Button, Group, Text } from '@mantine/core';
import type { GroupView } from '@porthole/contracts';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { groupsApi } from '../../../api/admin';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState } from '../../../components/QueryState';
import { type Column, ResourceTable } from '../../../components/ResourceTable';
import { RowActions } from '../../../components/RowActions';
import { GroupForm } from './GroupForm';

const columns: Column<GroupView>[] = [
  {
    header: 'Group',
    cell: (g) => (
      <>
        <Group gap={6}>
          <Text size="sm" fw={600}>
            {g.name}
          </Text>
          {g.systemRole && (
            <Badge size="xs" color="gray">
              built-in
            </Badge>
          )}
        </Group>
        <Text size="xs" c="dimmed" lineClamp={1}>
          {g.description || '—'}
        </Text>
      </>
    ),
  },
  { header: 'Priority', cell: (g) => g.priority },
  { header: 'Members', cell: (g) => (g.systemRole === 'all_users' ? 'Everyone' : g.memberIds.length) },
  { header: 'Workspaces', cell: (g) => g.imageIds.length },
  { header: 'Settings set', cell: (g) => Object.keys(g.settings).length },
];

export function GroupsPage() {
  const groups = groupsApi.useList();
  const remove = groupsApi.useDelete();
  const [editing, setEditing] = useState<GroupView | null | 'new'>(null);
  return (
    <>
      <PageHeader
        title="Groups"
        description="Groups grant workspaces and settings to their members. The lowest priority number wins."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New group
          </Button>
        }
      />
      <ResourceTable
        query={groups}
        empty={<EmptyState title="No groups" />}
        minWidth={640}
        select={(items) => [...items].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name))}
        columns={columns}
        rowKey={(g) => g.id}
        rowActions={(g) => (
          <RowActions
            name={g.name}
            onEdit={() => setEditing(g)}
            {...(g.systemRole
              ? {}
              : {
                  onDelete: () => remove.mutateAsync(g.id),
                  deleteMessage: 'Members lose the workspaces and settings this group gave them.',
                })}
          />
        )}
      />
      {editing !== null && (
        <GroupForm group={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
