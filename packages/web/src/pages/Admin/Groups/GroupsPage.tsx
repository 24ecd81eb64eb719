import { Badge, Button, Card, Group, Table, Text } from '@mantine/core';
import type { GroupView } from '@porthole/contracts';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { groupsApi } from '../../../api/admin';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState, QueryState } from '../../../components/QueryState';
import { RowActions } from '../../../components/RowActions';
import { GroupForm } from './GroupForm';

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
      <QueryState query={groups} empty={<EmptyState title="No groups" />}>
        {(items) => (
          <Card p={0}>
            <Table.ScrollContainer minWidth={640}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Group</Table.Th>
                    <Table.Th>Priority</Table.Th>
                    <Table.Th>Members</Table.Th>
                    <Table.Th>Workspaces</Table.Th>
                    <Table.Th>Settings set</Table.Th>
                    <Table.Th w={96} />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {[...items]
                    .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name))
                    .map((g) => (
                      <Table.Tr key={g.id}>
                        <Table.Td>
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
                        </Table.Td>
                        <Table.Td>{g.priority}</Table.Td>
                        <Table.Td>{g.systemRole === 'all_users' ? 'Everyone' : g.memberIds.length}</Table.Td>
                        <Table.Td>{g.imageIds.length}</Table.Td>
                        <Table.Td>{Object.keys(g.settings).length}</Table.Td>
                        <Table.Td>
                          <RowActions
                            name={g.name}
                            onEdit={() => setEditing(g)}
                            {...(g.systemRole
                              ? {}
                              : {
                                  onDelete: () => remove.mutateAsync(g.id),
                                  deleteMessage:
                                    'Members lose the workspaces and settings this group gave them.',
                                })}
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
        <GroupForm group={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
