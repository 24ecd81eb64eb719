/** Query keys in one place so invalidation after a mutation can't miss a list. */
export const queryKeys = {
  me: ['me'] as const,
  workspaces: ['workspaces'] as const,
  mySessions: ['sessions'] as const,
  session: (id: string) => ['sessions', id] as const,
  sessionEvents: (id: string) => ['sessions', id, 'events'] as const,
  sessionAccess: (id: string) => ['sessions', id, 'access'] as const,
  participants: (id: string) => ['sessions', id, 'participants'] as const,
  admin: {
    all: ['admin'] as const,
    users: ['admin', 'users'] as const,
    groups: ['admin', 'groups'] as const,
    groupSettings: ['admin', 'group-settings'] as const,
    images: ['admin', 'images'] as const,
    zones: ['admin', 'zones'] as const,
    agents: ['admin', 'agents'] as const,
    registrationToken: ['admin', 'agents', 'registration-token'] as const,
    sessions: (filter: Record<string, string | undefined>) => ['admin', 'sessions', filter] as const,
    staging: ['admin', 'staging'] as const,
    systemInfo: ['admin', 'system-info'] as const,
    apiKeys: ['admin', 'api-keys'] as const,
  },
};
