import {
  ActionIcon,
  Badge,
  Card,
  Code,
  CopyButton,
  Group,
  SimpleGrid,
  Stack,
  Text,
  Tooltip,
} from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useSystemInfo } from '../../../api/admin';
import { PageHeader } from '../../../components/PageHeader';
import { QueryState } from '../../../components/QueryState';
import { formatDateTime, formatDuration } from '../../../modules/time/format';
import { useNow } from '../../../modules/time/use-now';

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Card>
      <Stack gap={6}>
        <Text size="xs" fw={700} tt="uppercase" c="dimmed">
          {label}
        </Text>
        {children}
      </Stack>
    </Card>
  );
}

export function SystemInfoPage() {
  const info = useSystemInfo();
  const now = useNow(1000);
  return (
    <>
      <PageHeader title="System info" description="This installation, for support requests and licensing." />
      <QueryState query={info}>
        {(i) => {
          const uptime = Math.max(i.uptimeSeconds, (now - Date.parse(i.startedAt)) / 1000);
          return (
            <Stack gap="lg">
              <Item label="Installation ID">
                <Group gap="xs" wrap="nowrap">
                  <Code
                    fz="md"
                    px="sm"
                    py={6}
                    data-testid="installation-id"
                    style={{ flex: 1, overflowX: 'auto' }}
                  >
                    {i.installationId}
                  </Code>
                  <CopyButton value={i.installationId}>
                    {({ copied, copy }) => (
                      <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow>
                        <ActionIcon
                          variant="default"
                          size="lg"
                          onClick={copy}
                          aria-label="Copy installation ID"
                          color={copied ? 'teal' : undefined}
                        >
                          {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                        </ActionIcon>
                      </Tooltip>
                    )}
                  </CopyButton>
                </Group>
              </Item>
              <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="lg">
                <Item label="Version">
                  <Text fw={600} size="lg">
                    {i.version}
                  </Text>
                </Item>
                <Item label="Uptime">
                  <Text fw={600} size="lg">
                    {formatDuration(uptime)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    since {formatDateTime(i.startedAt)}
                  </Text>
                </Item>
                <Item label="Database">
                  <Group gap="xs">
                    <Text fw={600} size="lg">
                      PostgreSQL
                    </Text>
                    <Badge color={i.database === 'embedded' ? 'blue' : 'teal'}>{i.database}</Badge>
                  </Group>
                </Item>
                <Item label="Share bus">
                  <Group gap="xs">
                    <Text fw={600} size="lg">
                      {i.bus === 'redis' ? 'Redis' : 'In-process'}
                    </Text>
                    <Badge color={i.bus === 'redis' ? 'teal' : 'blue'}>{i.bus}</Badge>
                  </Group>
                </Item>
              </SimpleGrid>
            </Stack>
          );
        }}
      </QueryState>
    </>
  );
}
