import { Chip, Group, SimpleGrid, TextInput } from '@mantine/core';
import type { SessionView, WorkspaceView } from '@porthole/contracts';
import { IconSearch } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useMySessions, useWorkspaces } from '../../api/sessions';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, QueryState } from '../../components/QueryState';
import { useLaunch } from '../../modules/launch/use-launch';
import { LaunchModal } from './LaunchModal';
import { WorkspaceTile } from './WorkspaceTile';

/** Filters by category and a free-text search over name, description and categories. */
export function filterWorkspaces(items: WorkspaceView[], search: string, category: string | null) {
  const q = search.trim().toLowerCase();
  return items.filter((w) => {
    if (category && !w.categories.includes(category)) return false;
    if (!q) return true;
    return [w.friendlyName, w.name, w.description, ...w.categories].some((t) => t.toLowerCase().includes(q));
  });
}

function Catalogue({ items, sessions }: { items: WorkspaceView[]; sessions: SessionView[] }) {
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState<string | null>(null);
  const { status, launch, close } = useLaunch();
  const categories = useMemo(() => [...new Set(items.flatMap((w) => w.categories))].sort(), [items]);
  const shown = filterWorkspaces(items, search, category);
  const launchingName =
    status.phase === 'creating' || status.phase === 'waiting' ? status.workspaceName : null;

  return (
    <>
      <Group justify="space-between" mb="lg" gap="md" align="center">
        <Chip.Group
          multiple={false}
          value={category ?? 'all'}
          onChange={(v) => setCategory(v === 'all' ? null : v)}
        >
          <Group gap={6}>
            <Chip value="all" size="sm" variant="light">
              All
            </Chip>
            {categories.map((c) => (
              <Chip key={c} value={c} size="sm" variant="light">
                {c}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
        <TextInput
          placeholder="Search workspaces"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={280}
          aria-label="Search workspaces"
        />
      </Group>
      {shown.length === 0 ? (
        <EmptyState title="No workspace matches">Try another search or category.</EmptyState>
      ) : (
        <SimpleGrid cols={{ base: 1, xs: 2, md: 3, xl: 4 }} spacing="lg">
          {shown.map((w) => (
            <WorkspaceTile
              key={w.id}
              workspace={w}
              running={sessions.filter((s) => s.imageId === w.id && s.state !== 'deleted')}
              launching={launchingName === w.friendlyName}
              onLaunch={() => void launch(w)}
            />
          ))}
        </SimpleGrid>
      )}
      <LaunchModal status={status} onClose={close} />
    </>
  );
}

export function LauncherPage() {
  const workspaces = useWorkspaces();
  const sessions = useMySessions();
  return (
    <>
      <PageHeader
        title="Workspaces"
        description="Pick a desktop or an app; it opens right here in your browser."
      />
      <QueryState
        query={workspaces}
        loadingLabel="Loading workspaces…"
        empty={
          <EmptyState title="No workspaces yet">
            You are not allowed to launch any workspace. Ask an administrator to add one to your group.
          </EmptyState>
        }
      >
        {(items) => <Catalogue items={items} sessions={sessions.data ?? []} />}
      </QueryState>
    </>
  );
}
