import { Anchor, Badge, Button, Code, Group, Text } from '@mantine/core';
import type { ApiKeyCreated, ApiKeyView } from '@porthole/contracts';
import { IconKey, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { apiKeysApi } from '../../../api/api-keys';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState } from '../../../components/QueryState';
import { type Column, ResourceTable } from '../../../components/ResourceTable';
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
  const columns: Column<ApiKeyView>[] = [
    {
      header: 'Name',
      cell: (k) => (
        <Text size="sm" fw={600}>
          {k.name}
        </Text>
      ),
    },
    { header: 'Key', cell: (k) => <Code>{k.api_key}</Code> },
    {
      header: 'Permissions',
      cell: (k) => (
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
      ),
    },
    {
      header: 'Access',
      cell: (k) => (k.readOnly ? <Badge color="blue">Read-only</Badge> : <Text size="sm">Read & write</Text>),
    },
    { header: 'Expires', cell: expiry },
    {
      header: 'Created',
      cell: (k) => (
        <Text size="sm" c="dimmed">
          {formatDateTime(k.createdAt)}
        </Text>
      ),
    },
    {
      header: 'Last used',
      cell: (k) => (
        <Text size="sm" c="dimmed">
          {k.lastUsedAt ? formatAge(k.lastUsedAt, now) : 'Never'}
        </Text>
      ),
    },
  ];

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
      <ResourceTable
        query={keys}
        empty={
          <EmptyState title="No API keys" icon={<IconKey size={26} />}>
            Create one to let a script or an integration call the developer API.
          </EmptyState>
        }
        minWidth={860}
        columns={columns}
        rowKey={(k) => k.id}
        rowTestId={(k) => `api-key-row-${k.api_key}`}
        actionsWidth={64}
        rowActions={(k) => (
          <RowActions
            name={k.name}
            deleteLabel="Revoke"
            deleteTitle={`Revoke ${k.name}?`}
            deleteMessage="Calls with this key get 401 at once, and the one-time sign-in links it issued stop working. This cannot be undone."
            onDelete={() => revoke.mutateAsync(k.id)}
          />
        )}
      />
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
