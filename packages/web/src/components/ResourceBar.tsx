import { Group, Progress, Stack, Text } from '@mantine/core';

interface Props {
  label: string;
  total: number;
  allocated: number;
  used: number;
  format: (n: number) => string;
}

export function percent(part: number, total: number): number {
  if (total <= 0) return 0;
  return Math.max(0, Math.min(100, (part / total) * 100));
}

function Row({
  name,
  value,
  total,
  format,
}: {
  name: string;
  value: number;
  total: number;
  format: (n: number) => string;
}) {
  const p = percent(value, total);
  const color = p > 90 ? 'red' : p > 70 ? 'orange' : name === 'Used' ? 'teal' : 'porthole';
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="xs" c="dimmed" w={64}>
        {name}
      </Text>
      <Progress
        value={p}
        color={color}
        size="md"
        radius="sm"
        style={{ flex: 1 }}
        aria-label={`${name} ${Math.round(p)}%`}
      />
      <Text size="xs" w={120} ta="right" ff="monospace">
        {format(value)} ({Math.round(p)}%)
      </Text>
    </Group>
  );
}

/** Capacity of one resource: total, allocated to sessions and actually in use, as two bars. */
export function ResourceBar({ label, total, allocated, used, format }: Props) {
  return (
    <Stack gap={6}>
      <Group justify="space-between" gap="xs">
        <Text size="xs" fw={700} tt="uppercase" c="dimmed">
          {label}
        </Text>
        <Text size="xs" c="dimmed">
          {format(total)} total
        </Text>
      </Group>
      <Row name="Allocated" value={allocated} total={total} format={format} />
      <Row name="Used" value={used} total={total} format={format} />
    </Stack>
  );
}
