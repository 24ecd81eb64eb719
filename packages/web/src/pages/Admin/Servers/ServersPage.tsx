import { Stack } from '@mantine/core';
import { IconServerOff } from '@tabler/icons-react';
import { agentsApi, zonesApi } from '../../../api/admin';
import { PageHeader } from '../../../components/PageHeader';
import { EmptyState, QueryState } from '../../../components/QueryState';
import { AgentCard } from './AgentCard';
import { RegistrationToken } from './RegistrationToken';

export function ServersPage() {
  const agents = agentsApi.useList({ refetchInterval: 5_000 });
  const zones = zonesApi.useList();
  return (
    <>
      <PageHeader
        title="Servers"
        description="Agents on Docker hosts that run sessions: health, capacity and images."
      />
      <RegistrationToken />
      <QueryState
        query={agents}
        loadingLabel="Loading servers…"
        empty={
          <EmptyState title="No servers yet" icon={<IconServerOff size={26} />}>
            Start an agent with the registration token above. <code>porthole up</code> starts one on this
            machine.
          </EmptyState>
        }
      >
        {(items) => (
          <Stack gap="lg">
            {items.map((a) => (
              <AgentCard key={a.id} agent={a} zones={zones.data ?? []} />
            ))}
          </Stack>
        )}
      </QueryState>
    </>
  );
}
