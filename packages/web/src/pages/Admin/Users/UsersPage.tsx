import { Badge, Button, Card, Group, Table, Text, TextInput } from '@mantine/core';
import type { AdminUserView } from '@porthole/contracts';
import { IconPlus, IconSearch } from '@tabler/icons-react';
import { useState } from 'react';
import { groupsApi, usersApi } from '../../../api/admin';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState, QueryState } from '../../../components/QueryState';
import { RowActions } from '../../../components/RowActions';
import { formatAge } from '../../../modules/time/format';
import { useNow } from '../../../modules/time/use-now';
import { UserForm } from './UserForm';

function statusBadge(u: AdminUserView) {
  if (u.disabled) return <Badge color="gray">Disabled</Badge>;
  if (u.locked) return <Badge color="orange">Locked</Badge>;
  return <Badge color="teal">Active</Badge>;
}

export function UsersPage() {
  const users = usersApi.useList();
  const groups = groupsApi.useList();
  const remove = usersApi.useDelete();
  const [editing, setEditing] = useState<AdminUserView | null | 'new'>(null);
  const [search, setSearch] = useState('');
  const now = useNow(30_000);
  const groupName = (id: string) => groups.data?.find((g) => g.id === id)?.name ?? '…';

  return (
    <>
      <PageHeader
        title="Users"
        description="People who can sign in, and the groups they belong to."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New user
          </Button>
        }
      />
      <QueryState query={users} empty={<EmptyState title="No users">Create the first one.</EmptyState>}>
        {(items) => {
          const q = search.trim().toLowerCase();
          const shown = items.filter(
            (u) => !q || u.username.toLowerCase().includes(q) || u.displayName.toLowerCase().includes(q),
          );
          return (
            <Card p={0}>
              <Group p="md" pb="xs">
                <TextInput
                  placeholder="Search users"
                  leftSection={<IconSearch size={16} />}
                  value={search}
                  onChange={(e) => setSearch(e.currentTarget.value)}
                  w={280}
                />
                <Text size="sm" c="dimmed">
                  {shown.length} of {items.length}
                </Text>
              </Group>
              <Table.ScrollContainer minWidth={680}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>User</Table.Th>
                      <Table.Th>Groups</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Sessions</Table.Th>
                      <Table.Th>Last sign-in</Table.Th>
                      <Table.Th w={96} />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {shown.map((u) => (
                      <Table.Tr key={u.id}>
                        <Table.Td>
                          <Group gap={6}>
                            <Text size="sm" fw={600}>
                              {u.displayName || u.username}
                            </Text>
                            {u.isAdmin && (
                              <Badge size="xs" color="grape">
                                Admin
                              </Badge>
                            )}
                          </Group>
                          <Text size="xs" c="dimmed">
                            {u.username}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            {u.groupIds.map((g) => (
                              <Badge key={g} color="gray" size="sm">
                                {groupName(g)}
                              </Badge>
                            ))}
                          </Group>
                        </Table.Td>
                        <Table.Td>{statusBadge(u)}</Table.Td>
                        <Table.Td>{u.sessionCount}</Table.Td>
                        <Table.Td>
                          <Text size="sm" c="dimmed">
                            {u.lastLoginAt ? formatAge(u.lastLoginAt, now) : 'Never'}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <RowActions
                            name={u.username}
                            onEdit={() => setEditing(u)}
                            deleteTitle={`Delete ${u.username}?`}
                            deleteMessage="Their sessions are destroyed too. This cannot be undone."
                            onDelete={() => remove.mutateAsync(u.id)}
                          />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Card>
          );
        }}
      </QueryState>
      {editing !== null && (
        <UserForm user={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
