import { describe, expect, it } from 'vitest';
import {
  defaultSettings,
  groupSettingNames,
  groupSettingsCatalogue,
  groupSettingsCatalogueView,
  groupSettingsSchema,
  resolveSettings,
} from './group-settings.js';

describe('group settings', () => {
  it('defaults every setting from the catalogue', () => {
    expect(resolveSettings([])).toEqual(defaultSettings);
    for (const name of groupSettingNames)
      expect(defaultSettings[name]).toBe(groupSettingsCatalogue[name].default);
  });

  it('takes each setting from the lowest priority number that sets it, independently', () => {
    const s = resolveSettings([
      { priority: 1000, settings: { max_sessions_per_user: 1, allow_uploads: false, idle_disconnect: 10 } },
      { priority: 1, settings: { administrator: true } },
      { priority: 20, settings: { max_sessions_per_user: 4, allow_uploads: true } },
      { priority: 10, settings: { max_sessions_per_user: 9 } },
    ]);
    expect(s.max_sessions_per_user).toBe(9);
    expect(s.allow_uploads).toBe(true);
    expect(s.idle_disconnect).toBe(10);
    expect(s.administrator).toBe(true);
    expect(s.keepalive_expiration_action).toBe('delete');
  });

  it('lets false and 0 win over a later group (set is not the same as truthy)', () => {
    const s = resolveSettings([
      { priority: 50, settings: { allow_clipboard_down: true, max_sessions_per_user: 5 } },
      { priority: 5, settings: { allow_clipboard_down: false, max_sessions_per_user: 0 } },
    ]);
    expect(s.allow_clipboard_down).toBe(false);
    expect(s.max_sessions_per_user).toBe(0);
  });

  it('rejects unknown names and out-of-range values, naming them', () => {
    const unknown = groupSettingsSchema.safeParse({ teleport: true });
    expect(unknown.success).toBe(false);
    expect(JSON.stringify(unknown.error?.issues)).toContain('teleport');
    const range = groupSettingsSchema.safeParse({ keepalive_expiration: 5 });
    expect(range.error?.issues[0]?.path).toEqual(['keepalive_expiration']);
    expect(groupSettingsSchema.safeParse({ keepalive_expiration_action: 'explode' }).success).toBe(false);
    expect(groupSettingsSchema.safeParse({ allow_pause: false, max_sessions_per_user: 3 }).success).toBe(
      true,
    );
  });

  it('describes every setting for the admin form', () => {
    expect(groupSettingsCatalogueView.map((s) => s.name).sort()).toEqual([...groupSettingNames].sort());
    for (const s of groupSettingsCatalogueView) {
      expect(s.description.length).toBeGreaterThan(0);
      expect(['boolean', 'integer', 'enum']).toContain(s.type);
    }
  });
});
