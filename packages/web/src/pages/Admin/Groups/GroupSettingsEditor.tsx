import { Badge, Box, Group, NumberInput, Select, Stack, Switch, Text } from '@mantine/core';
import type { SettingSpec } from '../../../api/admin';

export type SettingValue = boolean | number | string;
export type SettingsValue = Record<string, SettingValue>;

interface Props {
  catalogue: SettingSpec[];
  value: SettingsValue;
  onChange: (next: SettingsValue) => void;
  /** Field errors keyed like the API's: `settings.<name>`. */
  errors?: Record<string, unknown>;
}

/** `max_sessions_per_user` → `Max sessions per user`. */
export function settingLabel(name: string): string {
  const words = name.split('_');
  return words.map((w, i) => (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w)).join(' ');
}

export function formatSettingValue(spec: SettingSpec, v: SettingValue): string {
  if (spec.type === 'boolean') return v ? 'on' : 'off';
  if (spec.type === 'integer') return spec.unit ? `${v} ${spec.unit}` : String(v);
  return String(v);
}

function Control({
  spec,
  value,
  disabled,
  onChange,
  error,
}: {
  spec: SettingSpec;
  value: SettingValue;
  disabled: boolean;
  onChange: (v: SettingValue) => void;
  error: string | undefined;
}) {
  const label = `${settingLabel(spec.name)} value`;
  if (spec.type === 'boolean') {
    return (
      <Switch
        checked={Boolean(value)}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.checked)}
        aria-label={label}
        label={value ? 'On' : 'Off'}
        error={error}
      />
    );
  }
  if (spec.type === 'integer') {
    return (
      <NumberInput
        value={typeof value === 'number' ? value : Number(value)}
        disabled={disabled}
        onChange={(v) => onChange(typeof v === 'number' ? v : Number(v))}
        min={spec.min}
        max={spec.max}
        allowDecimal={false}
        suffix={spec.unit ? ` ${spec.unit}` : undefined}
        w={200}
        aria-label={label}
        error={error}
      />
    );
  }
  return (
    <Select
      value={String(value)}
      data={spec.values ?? []}
      disabled={disabled}
      onChange={(v) => v !== null && onChange(v)}
      allowDeselect={false}
      w={200}
      aria-label={label}
      error={error}
    />
  );
}

/**
 * The group settings catalogue as a form: each setting with its description and effective default;
 * a setting is either inherited (not set in this group) or overridden with a value.
 */
export function GroupSettingsEditor({ catalogue, value, onChange, errors = {} }: Props) {
  return (
    <Stack gap={0}>
      {catalogue.map((spec, i) => {
        const set = Object.hasOwn(value, spec.name);
        const current = set ? (value[spec.name] as SettingValue) : spec.default;
        const raw = errors[`settings.${spec.name}`];
        const error = typeof raw === 'string' ? raw : undefined;
        return (
          <Box
            key={spec.name}
            py="sm"
            style={{ borderTop: i === 0 ? undefined : '1px solid var(--mantine-color-default-border)' }}
            data-testid={`setting-${spec.name}`}
          >
            <Group justify="space-between" align="flex-start" wrap="nowrap" gap="lg">
              <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
                <Group gap={8}>
                  <Text fw={600} size="sm">
                    {settingLabel(spec.name)}
                  </Text>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {spec.name}
                  </Text>
                </Group>
                <Text size="sm" c="dimmed">
                  {spec.description}
                </Text>
                <Group gap={6}>
                  <Text size="xs" c="dimmed">
                    Default: {formatSettingValue(spec, spec.default)}
                  </Text>
                  {spec.type === 'integer' && spec.min !== undefined && spec.max !== undefined && (
                    <Text size="xs" c="dimmed">
                      · range {spec.min}–{spec.max}
                    </Text>
                  )}
                </Group>
              </Stack>
              <Stack gap={6} align="flex-end">
                <Group gap={8} wrap="nowrap">
                  {set ? <Badge color="porthole">Set here</Badge> : <Badge color="gray">Not set</Badge>}
                  <Switch
                    size="xs"
                    checked={set}
                    label="Override"
                    aria-label={`Override ${spec.name}`}
                    onChange={(e) => {
                      const next = { ...value };
                      if (e.currentTarget.checked) next[spec.name] = spec.default;
                      else delete next[spec.name];
                      onChange(next);
                    }}
                  />
                </Group>
                <Control
                  spec={spec}
                  value={current}
                  disabled={!set}
                  error={error}
                  onChange={(v) => onChange({ ...value, [spec.name]: v })}
                />
              </Stack>
            </Group>
          </Box>
        );
      })}
    </Stack>
  );
}
