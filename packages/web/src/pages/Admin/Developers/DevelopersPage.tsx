import { Anchor, Badge, Button, Card, Code, Group, Table, Text } from '@mantine/core';
import type { ApiKeyCreated, ApiKeyView } from '@porthole/contracts';
import { IconKey, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { apiKeysApi } from '../../../api/api-keys';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState, QueryState } from '../../../components/QueryState';
import { RowActions } from '../../../components/RowActions';
import { formatAge, formatDateTime } from '../../../modules/time/format';
import { useNow } from '../../../modules/time/use-now';
import { ApiKeyForm } from './ApiKeyForm';
import { ApiKeySecretDialog } from './ApiKeySecretDialog';

function expiry(k: ApiKeyView) {
  if (k.expired) return <Badge color="red">Expired</Badge>;
  if (!k.expiresAt) return <Text size="sm">Never</Text>;
  return <Text size="sm">{formatDateTime(k.expiresAt)}</Text>;
}

/** API keys for the Kasm-compatible developer API: list, create (secret shown once), revoke. */
export function DevelopersPage() {
  const keys = apiKeysApi.useList();
  const revoke = apiKeysApi.useDelete();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const now = useNow(30_000);

  return (
    <>
      <PageHeader
        title="Developers"
        description={
          <>
            API keys for the Kasm-compatible developer API under <Code>/api/public/</Code>. The API is
            described at{' '}
            <Anchor href="/api/openapi.json" target="_blank" rel="noreferrer">
              /api/openapi.json
            </Anchor>
            .
          </>
        }
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
            New API key
          </Button>
        }
      />
      <QueryState
        query={keys}
        empty={
          <EmptyState title="No API keys" icon={<IconKey size={26} />}>
            Create one to let a script or an integration call the developer API.
          </EmptyState>
        }
      >
        {(items) => (
          <Card p={0}>
            <Table.ScrollContainer minWidth={860}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Key</Table.Th>
                    <Table.Th>Permissions</Table.Th>
                    <Table.Th>Access</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Last used</Table.Th>
                    <Table.Th w={64} />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((k) => (
                    <Table.Tr key={k.id} data-testid={`api-key-row-${k.api_key}`}>
                      <Table.Td>
                        <Text size="sm" fw={600}>
                          {k.name}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Code>{k.api_key}</Code>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {k.permissions.length === 0 ? (
                            <Text size="sm" c="dimmed">
                              None
                            </Text>
                          ) : (
                            k.permissions.map((p) => (
                              <Badge key={p} size="sm" color={p === 'global_admin' ? 'grape' : 'gray'}>
                                {p}
                              </Badge>
                            ))
                          )}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        {k.readOnly ? (
                          <Badge color="blue">Read-only</Badge>
                        ) : (
                          <Text size="sm">Read & write</Text>
                        )}
                      </Table.Td>
                      <Table.Td>{expiry(k)}</Table.Td>
                      <Table.Td>
                        <Text size="sm" c="dimmed">
                          {formatDateTime(k.createdAt)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c="dimmed">
                          {k.lastUsedAt ? formatAge(k.lastUsedAt, now) : 'Never'}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <RowActions
                          name={k.name}
                          deleteLabel="Revoke"
                          deleteTitle={`Revoke ${k.name}?`}
                          deleteMessage="Calls with this key get 401 at once, and the one-time sign-in links it issued stop working. This cannot be undone."
                          onDelete={() => revoke.mutateAsync(k.id)}
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
      {creating && (
        <ApiKeyForm
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setCreated(key);
          }}
        />
      )}
      {created && <ApiKeySecretDialog created={created} onClose={() => setCreated(null)} />}
    </>
  );
}
