import { Badge, Button, Group, Switch, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { ImageView } from '@porthole/contracts';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { imagesApi } from '../../../api/admin';
import { errorMessage } from '../../../api/client';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState } from '../../../components/QueryState';
import { type Column, ResourceTable } from '../../../components/ResourceTable';
import { RowActions } from '../../../components/RowActions';
import { formatCores, formatMemoryMb } from '../../../modules/time/format';
import { WorkspaceIcon } from '../../Launcher/WorkspaceTile';
import { ImageBuildsStatus } from './ImageBuildsPanel';
import { ImageForm } from './ImageForm';

export function WorkspacesPage() {
  const images = imagesApi.useList();
  const update = imagesApi.useUpdate();
  const remove = imagesApi.useDelete();
  const [editing, setEditing] = useState<ImageView | null | 'new'>(null);
  const toggle = (i: ImageView, enabled: boolean) =>
    update.mutate(
      { id: i.id, body: { enabled } },
      {
        onError: (e) =>
          notifications.show({ color: 'red', title: 'Could not update', message: errorMessage(e) }),
      },
    );
  const columns: Column<ImageView>[] = [
    {
      header: 'Workspace',
      cell: (i) => (
        <Group gap="sm" wrap="nowrap">
          <WorkspaceIcon icon={i.icon} size={32} />
          <div>
            <Text size="sm" fw={600}>
              {i.friendlyName}
            </Text>
            <Text size="xs" c="dimmed">
              {i.name}
            </Text>
          </div>
        </Group>
      ),
    },
    {
      header: 'Image',
      cell: (i) => (
        <Text size="xs" ff="monospace">
          {i.dockerImage}
        </Text>
      ),
    },
    {
      header: 'Resources',
      cell: (i) => (
        <Text size="sm" data-testid="image-resources" style={{ whiteSpace: 'nowrap' }}>
          {formatCores(i.cores)} · {formatMemoryMb(i.memoryMb)}
        </Text>
      ),
    },
    {
      header: 'Categories',
      visibleFrom: 'lg',
      cell: (i) => (
        <Group gap={4}>
          {i.categories.map((c) => (
            <Badge key={c} color="gray" size="sm">
              {c}
            </Badge>
          ))}
        </Group>
      ),
    },
    {
      header: 'Enabled',
      cell: (i) => (
        <Switch
          checked={i.enabled}
          onChange={(e) => toggle(i, e.currentTarget.checked)}
          aria-label={`Enable ${i.friendlyName}`}
        />
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Workspaces"
        description="Container images people can launch, with their resources and who may use them."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New workspace
          </Button>
        }
      />
      <ImageBuildsStatus />
      <ResourceTable
        query={images}
        empty={<EmptyState title="No workspaces">Add an image to let people launch it.</EmptyState>}
        minWidth={700}
        columns={columns}
        rowKey={(i) => i.id}
        rowTestId={(i) => `image-row-${i.name}`}
        rowActions={(i) => (
          <RowActions
            name={i.friendlyName}
            onEdit={() => setEditing(i)}
            onDelete={() => remove.mutateAsync(i.id)}
            deleteMessage="People can no longer launch it. Running sessions are not affected."
          />
        )}
      />
      {editing !== null && (
        <ImageForm image={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
