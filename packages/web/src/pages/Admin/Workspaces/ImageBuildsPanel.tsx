import { Alert, Badge, Card, Group, Loader, Progress, Stack, Text } from '@mantine/core';
import type { ImageBuildState, ImageBuildsView, ImageBuildView } from '@porthole/contracts';
import { IconAlertTriangle } from '@tabler/icons-react';
import { errorMessage } from '../../../api/client';
import { useImageBuilds } from '../../../api/image-builds';
import { formatDuration } from '../../../modules/time/format';

const stateBadge: Record<ImageBuildState, { color: string; label: string }> = {
  queued: { color: 'gray', label: 'Queued' },
  building: { color: 'blue', label: 'Building' },
  done: { color: 'green', label: 'Done' },
  skipped: { color: 'yellow', label: 'Skipped' },
  failed: { color: 'red', label: 'Failed' },
};

/** Share of the Dockerfile's steps begun, as a percentage (0 before the first step). */
function stepPercent(i: ImageBuildView): number {
  if (i.state === 'done') return 100;
  if (!i.step || !i.steps) return 0;
  return Math.min(100, Math.round((i.step / i.steps) * 100));
}

function ImageRow({ image }: { image: ImageBuildView }) {
  const badge = stateBadge[image.state];
  const detail =
    image.state === 'building' && image.step !== null && image.steps !== null
      ? `step ${image.step}/${image.steps}${image.stepText ? `: ${image.stepText}` : ''}`
      : image.state === 'done' && image.upToDate
        ? 'up to date'
        : image.state === 'queued'
          ? 'waiting for its turn'
          : null;
  return (
    <div data-testid={`image-build-${image.name}`}>
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Group gap="xs" wrap="nowrap" miw={0}>
          <Text size="sm" fw={600}>
            {image.name}
          </Text>
          <Badge size="sm" color={badge.color} variant="light">
            {badge.label}
          </Badge>
        </Group>
        {image.elapsedSeconds > 0 && (
          <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
            {formatDuration(image.elapsedSeconds)}
          </Text>
        )}
      </Group>
      {(image.state === 'building' || image.state === 'queued') && (
        <Progress
          mt={4}
          size="sm"
          value={stepPercent(image)}
          animated={image.state === 'building'}
          aria-label={`${image.name} build progress`}
        />
      )}
      {detail && (
        <Text size="xs" c="dimmed" ff="monospace" mt={2} lineClamp={1}>
          {detail}
        </Text>
      )}
      {image.error && (
        <Text size="xs" c="red" ff="monospace" mt={2} style={{ whiteSpace: 'pre-wrap' }} lineClamp={8}>
          {image.error}
        </Text>
      )}
    </div>
  );
}

/**
 * The default images' background build, as data: a progress panel while images are queued or
 * building; afterwards only what went wrong (a finished, clean build needs no space on the page).
 */
export function ImageBuildsPanel({ view }: { view: ImageBuildsView }) {
  const problems = view.images.filter((i) => i.state === 'failed' || i.state === 'skipped');
  if (view.active) {
    return (
      <Card withBorder mb="md" data-testid="image-builds">
        <Group gap="xs" mb="xs">
          <Loader size="xs" />
          <Text fw={600}>Building the default workspace images</Text>
        </Group>
        <Text size="xs" c="dimmed" mb="sm">
          They can be launched once built. {view.base ? `Base: ${view.base}` : 'Choosing the Debian base…'}
        </Text>
        <Stack gap="sm">
          {view.images.map((i) => (
            <ImageRow key={i.name} image={i} />
          ))}
        </Stack>
      </Card>
    );
  }
  if (problems.length === 0 && !view.error) return null;
  return (
    <Alert
      mb="md"
      color="red"
      icon={<IconAlertTriangle size={18} />}
      title="Some default workspace images were not built"
      data-testid="image-builds"
    >
      <Stack gap="sm">
        {view.error && (
          <Text size="sm" ff="monospace">
            {view.error}
          </Text>
        )}
        {problems.map((i) => (
          <ImageRow key={i.name} image={i} />
        ))}
        <Text size="xs">
          Fix the cause, then run <code>porthole images build</code> or restart <code>porthole up</code>.
        </Text>
      </Stack>
    </Alert>
  );
}

/** The panel fed by the polled admin route; nothing at all when there is nothing to say. */
export function ImageBuildsStatus({ pollMs }: { pollMs?: number }) {
  const builds = useImageBuilds(pollMs);
  if (builds.error) {
    return (
      <Alert mb="md" color="yellow" title="Image build progress is unavailable">
        {errorMessage(builds.error)}
      </Alert>
    );
  }
  return builds.data ? <ImageBuildsPanel view={builds.data} /> : null;
}
