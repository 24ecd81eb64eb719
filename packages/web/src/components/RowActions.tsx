import { ActionIcon, Group, Tooltip } from '@mantine/core';
import { IconPencil, IconTrash } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { ConfirmAction } from './ConfirmAction';

interface Props {
  name: string;
  onEdit?: () => void;
  deleteTitle?: string;
  deleteMessage?: ReactNode;
  deleteLabel?: string;
  onDelete?: () => Promise<unknown>;
  children?: ReactNode;
}

/** Edit and delete (behind a confirmation) at the end of a table row. */
export function RowActions({
  name,
  onEdit,
  deleteTitle,
  deleteMessage,
  deleteLabel = 'Delete',
  onDelete,
  children,
}: Props) {
  return (
    <Group gap={2} justify="flex-end" wrap="nowrap">
      {children}
      {onEdit && (
        <Tooltip label="Edit" withArrow>
          <ActionIcon variant="subtle" color="gray" size="lg" onClick={onEdit} aria-label={`Edit ${name}`}>
            <IconPencil size={18} />
          </ActionIcon>
        </Tooltip>
      )}
      {onDelete && (
        <ConfirmAction
          title={deleteTitle ?? `Delete ${name}?`}
          message={deleteMessage ?? 'This cannot be undone.'}
          confirmLabel={deleteLabel}
          onConfirm={onDelete}
          trigger={(open) => (
            <Tooltip label={deleteLabel} withArrow>
              <ActionIcon
                variant="subtle"
                color="red"
                size="lg"
                onClick={open}
                aria-label={`${deleteLabel} ${name}`}
              >
                <IconTrash size={18} />
              </ActionIcon>
            </Tooltip>
          )}
        />
      )}
    </Group>
  );
}
