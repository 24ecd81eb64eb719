import { defaultSettings, type GroupSettings } from '@porthole/contracts';
import { describe, expect, it } from 'vitest';
import { EffectiveSettingsService, type MembershipSource } from './effective-settings-service.js';

interface FakeGroup {
  name: string;
  priority: number;
  settings: GroupSettings;
  images?: string[];
}

function service(groups: FakeGroup[]): EffectiveSettingsService {
  const source: MembershipSource = {
    settingsOfUser: async () => groups.map(({ name, priority, settings }) => ({ name, priority, settings })),
    imageIdsOfUser: async () => [...new Set(groups.flatMap((g) => g.images ?? []))],
  };
  return new EffectiveSettingsService(source);
}

describe('EffectiveSettingsService', () => {
  it('gives the catalogue defaults to a user in no group', async () => {
    expect(await service([]).forUser('u')).toEqual(defaultSettings);
  });

  it('lets the lowest priority number win each setting independently', async () => {
    const s = await service([
      { name: 'All Users', priority: 1000, settings: { max_sessions_per_user: 1, allow_sharing: false } },
      { name: 'Power', priority: 10, settings: { max_sessions_per_user: 5 } },
      { name: 'Sharing', priority: 50, settings: { allow_sharing: true, max_sessions_per_user: 3 } },
    ]).forUser('u');
    expect(s.max_sessions_per_user).toBe(5);
    expect(s.allow_sharing).toBe(true);
    expect(s.keepalive_expiration).toBe(defaultSettings.keepalive_expiration);
  });

  it('breaks equal priorities by group name, whatever order the rows come in', async () => {
    const a: FakeGroup = { name: 'alpha', priority: 5, settings: { keepalive_expiration_action: 'stop' } };
    const b: FakeGroup = { name: 'Beta', priority: 5, settings: { keepalive_expiration_action: 'pause' } };
    expect((await service([a, b]).forUser('u')).keepalive_expiration_action).toBe('stop');
    expect((await service([b, a]).forUser('u')).keepalive_expiration_action).toBe('stop');
  });

  it('allows the union of the groups’ images and nothing implicit for administrators', async () => {
    const svc = service([
      { name: 'Administrators', priority: 1, settings: { administrator: true } },
      { name: 'A', priority: 10, settings: {}, images: ['i1', 'i2'] },
      { name: 'B', priority: 20, settings: {}, images: ['i2', 'i3'] },
    ]);
    expect(await svc.allowedImageIds('u')).toEqual(new Set(['i1', 'i2', 'i3']));
    expect(
      await service([
        { name: 'Administrators', priority: 1, settings: { administrator: true } },
      ]).allowedImageIds('u'),
    ).toEqual(new Set());
  });
});
