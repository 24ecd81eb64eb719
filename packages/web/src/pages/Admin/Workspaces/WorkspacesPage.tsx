import { Badge, Button, Card, Group, Switch, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { ImageView } from '@porthole/contracts';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { imagesApi } from '../../../api/admin';
import { errorMessage } from '../../../api/client';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState, QueryState } from '../../../components/QueryState';
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
      <QueryState
        query={images}
        empty={<EmptyState title="No workspaces">Add an image to let people launch it.</EmptyState>}
      >
        {(items) => (
          <Card p={0}>
            <Table.ScrollContainer minWidth={700}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Workspace</Table.Th>
                    <Table.Th>Image</Table.Th>
                    <Table.Th>Resources</Table.Th>
                    <Table.Th visibleFrom="lg">Categories</Table.Th>
                    <Table.Th>Enabled</Table.Th>
                    <Table.Th w={96} />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((i) => (
                    <Table.Tr key={i.id} data-testid={`image-row-${i.name}`}>
                      <Table.Td>
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
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" ff="monospace">
                          {i.dockerImage}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" data-testid="image-resources" style={{ whiteSpace: 'nowrap' }}>
                          {formatCores(i.cores)} · {formatMemoryMb(i.memoryMb)}
                        </Text>
                      </Table.Td>
                      <Table.Td visibleFrom="lg">
                        <Group gap={4}>
                          {i.categories.map((c) => (
                            <Badge key={c} color="gray" size="sm">
                              {c}
                            </Badge>
                          ))}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Switch
                          checked={i.enabled}
                          onChange={(e) => toggle(i, e.currentTarget.checked)}
                          aria-label={`Enable ${i.friendlyName}`}
                        />
                      </Table.Td>
                      <Table.Td>
                        <RowActions
                          name={i.friendlyName}
                          onEdit={() => setEditing(i)}
                          onDelete={() => remove.mutateAsync(i.id)}
                          deleteMessage="People can no longer launch it. Running sessions are not affected."
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
        <ImageForm image={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
