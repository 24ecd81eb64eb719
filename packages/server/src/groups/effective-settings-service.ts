import { type EffectiveSettings, type GroupSettings, resolveSettings } from '@porthole/contracts';

/** What settings resolution reads; GroupRepo implements it, tests use an in-memory fake. */
export interface MembershipSource {
  settingsOfUser(userId: string): Promise<Array<{ name: string; priority: number; settings: GroupSettings }>>;
  imageIdsOfUser(userId: string): Promise<string[]>;
}

/**
 * A user's effective group settings and allowed workspaces. The session service calls this at
 * launch; nothing is cached, so an admin's change applies to the next launch.
 */
export class EffectiveSettingsService {
  constructor(private readonly source: MembershipSource) {}

  /**
   * For each setting, the user's group with the lowest priority number that sets it wins; the
   * catalogue default applies when none does. Equal priorities fall back to the group name
   * (case-insensitive), so the answer never depends on row order.
   */
  async forUser(userId: string): Promise<EffectiveSettings> {
    const groups = await this.source.settingsOfUser(userId);
    const ordered = [...groups].sort(
      (a, b) => a.priority - b.priority || a.name.toLowerCase().localeCompare(b.name.toLowerCase()),
    );
    return resolveSettings(ordered);
  }

  /**
   * Union of the images allowed to the user's groups. Administrators get no implicit grant:
   * membership alone decides, so an admin tests exactly what their users see.
   */
  async allowedImageIds(userId: string): Promise<Set<string>> {
    return new Set(await this.source.imageIdsOfUser(userId));
  }
}
