import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { type ReactNode, useState } from 'react';
import { ErrorAlert } from './ErrorAlert';

interface Props {
  /** Renders whatever opens the dialog (a button, a menu item). */
  trigger: (open: () => void) => ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  color?: string;
  onConfirm: () => Promise<unknown>;
}

/** A destructive action behind a confirmation; a failure stays in the dialog, next to the button. */
export function ConfirmAction({ trigger, title, message, confirmLabel, color = 'red', onConfirm }: Props) {
  const [opened, setOpened] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const close = () => {
    if (busy) return;
    setOpened(false);
    setError(null);
  };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setOpened(false);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {trigger(() => setOpened(true))}
      <Modal opened={opened} onClose={close} title={<Text fw={600}>{title}</Text>} size="md">
        <Stack gap="md">
          <Text size="sm">{message}</Text>
          {error !== null && <ErrorAlert error={error} />}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close} disabled={busy}>
              Cancel
            </Button>
            <Button color={color} onClick={() => void confirm()} loading={busy}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
