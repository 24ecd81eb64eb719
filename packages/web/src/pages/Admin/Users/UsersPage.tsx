import { Badge, Button, Group, Text, TextInput } from '@mantine/core';
import type { AdminUserView } from '@porthole/contracts';
import { IconPlus, IconSearch } from '@tabler/icons-react';
import { useState } from 'react';
import { groupsApi, usersApi } from '../../../api/admin';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState } from '../../../components/QueryState';
import { type Column, ResourceTable } from '../../../components/ResourceTable';
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
  const columns: Column<AdminUserView>[] = [
    {
      header: 'User',
      cell: (u) => (
        <>
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
        </>
      ),
    },
    {
      header: 'Groups',
      cell: (u) => (
        <Group gap={4}>
          {u.groupIds.map((g) => (
            <Badge key={g} color="gray" size="sm">
              {groupName(g)}
            </Badge>
          ))}
        </Group>
      ),
    },
    { header: 'Status', cell: statusBadge },
    { header: 'Sessions', cell: (u) => u.sessionCount },
    {
      header: 'Last sign-in',
      cell: (u) => (
        <Text size="sm" c="dimmed">
          {u.lastLoginAt ? formatAge(u.lastLoginAt, now) : 'Never'}
        </Text>
      ),
    },
  ];

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
      <ResourceTable
        query={users}
        empty={<EmptyState title="No users">Create the first one.</EmptyState>}
        minWidth={680}
        select={(items) => {
          const q = search.trim().toLowerCase();
          return items.filter(
            (u) => !q || u.username.toLowerCase().includes(q) || u.displayName.toLowerCase().includes(q),
          );
        }}
        toolbar={(items, shown) => (
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
        )}
        columns={columns}
        rowKey={(u) => u.id}
        rowActions={(u) => (
          <RowActions
            name={u.username}
            onEdit={() => setEditing(u)}
            deleteTitle={`Delete ${u.username}?`}
            deleteMessage="Their sessions are destroyed too. This cannot be undone."
            onDelete={() => remove.mutateAsync(u.id)}
          />
        )}
      />
      {editing !== null && (
        <UserForm user={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
