import { Alert, Button, Group, Loader, Modal, Stack, Stepper, Text, Timeline } from '@mantine/core';
import { IconAlertTriangle, IconCheck } from '@tabler/icons-react';
import { useDeleteSession, useSessionEvents } from '../../api/sessions';
import { type LaunchStatus, launchSteps, stepIndex } from '../../modules/launch/launch-machine';
import { formatDuration } from '../../modules/time/format';
import { useNow } from '../../modules/time/use-now';

function Events({ sessionId }: { sessionId: string }) {
  const events = useSessionEvents(sessionId, true);
  if (!events.data || events.data.length === 0) return null;
  return (
    <Stack gap={6}>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed">
        What happened
      </Text>
      <Timeline bulletSize={14} lineWidth={2} active={events.data.length - 1}>
        {events.data.map((e) => (
          <Timeline.Item key={`${e.at}-${e.state}`} title={<Text size="sm">{e.state}</Text>}>
            <Text size="xs" c="dimmed">
              {new Date(e.at).toLocaleTimeString()}
              {e.reason ? ` — ${e.reason}` : ''}
            </Text>
          </Timeline.Item>
        ))}
      </Timeline>
    </Stack>
  );
}

interface Props {
  status: LaunchStatus;
  onClose: () => void;
}

/** Real launch progress: the session's own state, polled, with the reason when it fails. */
export function LaunchModal({ status, onClose }: Props) {
  const now = useNow(1000);
  const remove = useDeleteSession();
  if (status.phase === 'idle') return null;

  const session = status.phase === 'creating' ? undefined : status.session;
  const active =
    status.phase === 'creating'
      ? 0
      : status.phase === 'ready'
        ? launchSteps.length
        : Math.max(0, stepIndex(session?.state ?? 'requested'));
  const started = session ? Date.parse(session.createdAt) : now;
  const elapsed = formatDuration((now - started) / 1000);
  const failed = status.phase === 'failed';

  const cancel = async () => {
    if (session && status.phase === 'waiting') await remove.mutateAsync(session.id).catch(() => undefined);
    onClose();
  };

  return (
    <Modal
      opened
      onClose={onClose}
      size="md"
      title={
        <Text fw={600} size="lg">
          {failed ? `Could not start ${status.workspaceName}` : `Starting ${status.workspaceName}`}
        </Text>
      }
      closeOnClickOutside={failed}
    >
      <Stack gap="lg">
        {failed ? (
          <Alert
            color="red"
            variant="light"
            icon={<IconAlertTriangle size={18} />}
            title={status.failure.title}
          >
            <Text size="sm" data-testid="launch-error">
              {status.failure.message}
            </Text>
          </Alert>
        ) : (
          <Stepper
            active={active}
            size="sm"
            orientation="vertical"
            allowNextStepsSelect={false}
            iconSize={30}
          >
            {launchSteps.map((s, i) => (
              <Stepper.Step
                key={s.state}
                label={s.label}
                description={s.description}
                loading={i === active && status.phase !== 'ready'}
                completedIcon={<IconCheck size={16} />}
              />
            ))}
          </Stepper>
        )}
        {!failed && (
          <Group gap="xs" c="dimmed">
            <Loader size="xs" />
            <Text size="sm" c="dimmed" data-testid="launch-state">
              {status.phase === 'creating'
                ? 'Requesting a session…'
                : `State: ${session?.state} · ${elapsed}`}
              {session?.agentName ? ` · on ${session.agentName}` : ''}
            </Text>
          </Group>
        )}
        {failed && session && <Events sessionId={session.id} />}
        <Group justify="flex-end" gap="sm">
          {status.phase === 'waiting' && (
            <>
              <Button variant="default" onClick={() => void cancel()} loading={remove.isPending}>
                Cancel launch
              </Button>
              <Button variant="light" onClick={onClose}>
                Run in background
              </Button>
            </>
          )}
          {failed && session && (
            <Button
              variant="default"
              color="red"
              onClick={() => void remove.mutateAsync(session.id).finally(onClose)}
            >
              Delete session
            </Button>
          )}
          {failed && <Button onClick={onClose}>Close</Button>}
        </Group>
      </Stack>
    </Modal>
  );
}
