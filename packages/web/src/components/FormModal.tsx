import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { ErrorAlert } from './ErrorAlert';

interface Props {
  opened: boolean;
  title: string;
  onClose: () => void;
  onSubmit: (event?: React.FormEvent<HTMLFormElement>) => void;
  submitting: boolean;
  error: unknown;
  submitLabel: string;
  size?: string;
  children: ReactNode;
}

/** A create/edit dialog: fields, an error that belongs to no field, Cancel and Save. */
export function FormModal({
  opened,
  title,
  onClose,
  onSubmit,
  submitting,
  error,
  submitLabel,
  size = 'lg',
  children,
}: Props) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={
        <Text fw={600} size="lg">
          {title}
        </Text>
      }
      size={size}
    >
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="md">
          {children}
          {error !== null && error !== undefined && <ErrorAlert error={error} />}
          {/* Sticky: long forms (group settings) keep Save in view while scrolling. */}
          <Group
            justify="flex-end"
            gap="sm"
            pt="sm"
            pb="md"
            mb="calc(var(--mantine-spacing-md) * -1)"
            style={{
              position: 'sticky',
              bottom: 0,
              zIndex: 2,
              background: 'var(--mantine-color-body)',
              borderTop: '1px solid var(--mantine-color-default-border)',
            }}
          >
            <Button variant="default" onClick={onClose} disabled={submitting}>
              Cancel
            </Button>
            <Button type="submit" loading={submitting}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
