import { z } from 'zod';

type SettingSpec =
  | { type: 'boolean'; default: boolean; description: string }
  | { type: 'integer'; default: number; min: number; max: number; unit?: string; description: string }
  | { type: 'enum'; default: string; values: readonly string[]; description: string };

/**
 * Every group setting: its type, default and meaning. A user's effective value comes from the
 * group with the lowest priority number that sets it; the default applies when none does.
 */
export const groupSettingsCatalogue = {
  administrator: { type: 'boolean', default: false, description: 'Members may use the admin area and API.' },
  max_sessions_per_user: {
    type: 'integer',
    default: 2,
    min: 0,
    max: 1000,
    description: 'How many sessions (not deleted) a member may hold at once. 0 means none.',
  },
  keepalive_expiration: {
    type: 'integer',
    default: 3600,
    min: 60,
    max: 30 * 24 * 3600,
    unit: 'seconds',
    description: 'A session with no keepalive from a browser for this long gets the expiration action.',
  },
  keepalive_expiration_action: {
    type: 'enum',
    default: 'delete',
    values: ['delete', 'stop', 'pause'],
    description: 'What happens to a session whose keepalive expired.',
  },
  idle_disconnect: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 7 * 24 * 60,
    unit: 'minutes',
    description: 'Disconnect viewers after this many minutes without input or traffic. 0 disables.',
  },
  session_time_limit: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 365 * 24 * 3600,
    unit: 'seconds',
    description: 'Hard limit on a session’s lifetime, after which it is deleted. 0 means no limit.',
  },
  allow_sharing: {
    type: 'boolean',
    default: false,
    description: 'Members may share their sessions by link.',
  },
  shared_session_full_control: {
    type: 'boolean',
    default: false,
    description:
      'People joining a member’s shared session may type and point (collaborator) instead of only watching.',
  },
  allow_pause: {
    type: 'boolean',
    default: true,
    description: 'Members may pause and resume their sessions.',
  },
  allow_stop: {
    type: 'boolean',
    default: true,
    description: 'Members may stop (and later resume) their sessions.',
  },
  allow_clipboard_down: {
    type: 'boolean',
    default: true,
    description: 'Copy text from the session to the local clipboard.',
  },
  allow_clipboard_up: {
    type: 'boolean',
    default: true,
    description: 'Paste local clipboard text into the session.',
  },
  allow_downloads: { type: 'boolean', default: true, description: 'Download files from the session.' },
  allow_uploads: { type: 'boolean', default: true, description: 'Upload files into the session.' },
} as const satisfies Record<string, SettingSpec>;

export type GroupSettingName = keyof typeof groupSettingsCatalogue;
export const groupSettingNames = Object.keys(groupSettingsCatalogue) as GroupSettingName[];

type ValueOf<S> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'integer' }
    ? number
    : S extends { values: readonly (infer V)[] }
      ? V
      : never;

export type EffectiveSettings = { [K in GroupSettingName]: ValueOf<(typeof groupSettingsCatalogue)[K]> };

function schemaFor(spec: SettingSpec): z.ZodType {
  if (spec.type === 'boolean') return z.boolean();
  if (spec.type === 'integer') return z.number().int().min(spec.min).max(spec.max);
  return z.enum(spec.values as [string, ...string[]]);
}

/** A group's settings: a subset of the catalogue; unknown names are rejected. */
export const groupSettingsSchema = z
  .object(
    Object.fromEntries(
      Object.entries(groupSettingsCatalogue).map(([name, spec]) => [name, schemaFor(spec).optional()]),
    ) as { [K in GroupSettingName]: z.ZodOptional<z.ZodType<EffectiveSettings[K]>> },
  )
  .strict();
export type GroupSettings = Partial<EffectiveSettings>;

export const defaultSettings = Object.fromEntries(
  Object.entries(groupSettingsCatalogue).map(([name, spec]) => [name, spec.default]),
) as EffectiveSettings;

/** Resolution rule: for each setting, the group with the lowest priority number that sets it wins. */
export function resolveSettings(
  groups: Array<{ priority: number; settings: GroupSettings }>,
): EffectiveSettings {
  const sorted = [...groups].sort((a, b) => a.priority - b.priority);
  const out: Record<string, unknown> = { ...defaultSettings };
  for (const name of groupSettingNames) {
    const winner = sorted.find((g) => g.settings[name] !== undefined);
    if (winner) out[name] = winner.settings[name];
  }
  return out as EffectiveSettings;
}

export const groupSettingsCatalogueView = Object.entries(groupSettingsCatalogue).map(([name, spec]) => ({
  name,
  ...spec,
}));
