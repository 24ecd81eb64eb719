import type { AgentDisconnect } from '@porthole/contracts';
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface InstallationTable {
  id: string;
  singleton: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface UsersTable {
  id: string;
  username: string;
  display_name: Generated<string>;
  password_hash: string;
  locked: Generated<boolean>;
  disabled: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  last_login_at: Date | null;
}

export type GroupSystemRole = 'administrators' | 'all_users';

export interface GroupsTable {
  id: string;
  name: string;
  description: Generated<string>;
  priority: Generated<number>;
  settings: Json<Record<string, unknown>>;
  system_role: GroupSystemRole | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
  added_at: Generated<Date>;
}

export interface AuthSessionsTable {
  token_hash: Buffer;
  user_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
  last_seen_at: Timestamp;
  address: string | null;
  user_agent: string | null;
}

export interface Database extends ControlPlaneTables, DeveloperApiTables {
  installation: InstallationTable;
  users: UsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  auth_sessions: AuthSessionsTable;
}

export interface SystemSettingsTable {
  key: string;
  value: Json<unknown>;
  updated_at: Timestamp;
}

export interface ZonesTable {
  id: string;
  name: string;
  is_default: Generated<boolean>;
  search_alternate_zones: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface AgentResourcesJson {
  cores: number;
  memoryBytes: number;
  memoryFreeBytes: number;
  diskFreeBytes: number | null;
  load1: number;
  dockerVersion: string;
  cpuUsedCores?: number;
  memoryUsedBytes?: number;
  /** The engine's health from the latest check-in, kept beside the resources to need no migration. */
  engine?: { reachable: boolean; error?: string; version?: string };
}

export interface AgentsTable {
  id: string;
  name: string;
  zone_id: string;
  url: string;
  secret_hash: Buffer;
  hostname: string | null;
  enabled: Generated<boolean>;
  draining: Generated<boolean>;
  cores_override: number | null;
  memory_mb_override: number | null;
  resources: ColumnType<AgentResourcesJson | null, string | null, string | null>;
  images: ColumnType<unknown[], string | undefined, string>;
  version: string | null;
  last_checkin_at: Date | null;
  offline_since: Date | null;
  created_at: Generated<Date>;
}

export interface ImagesTable {
  id: string;
  name: string;
  friendly_name: string;
  description: Generated<string>;
  docker_image: string;
  cores: number;
  memory_mb: number;
  shm_mb: Generated<number>;
  gpu_count: Generated<number>;
  network: string | null;
  zone_id: string | null;
  agent_id: string | null;
  enabled: Generated<boolean>;
  categories: ColumnType<string[], string | undefined, string>;
  icon: string | null;
  run_config: ColumnType<Record<string, unknown>, string | undefined, string>;
  exec_config: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface GroupImagesTable {
  group_id: string;
  image_id: string;
}

export interface StagingConfigsTable {
  id: string;
  zone_id: string;
  image_id: string;
  desired_count: number;
  expiration_seconds: Generated<number>;
  created_at: Generated<Date>;
}

export interface SessionsTable {
  id: string;
  user_id: string | null;
  image_id: string;
  agent_id: string | null;
  zone_id: string | null;
  staging_id: string | null;
  state: string;
  state_reason: string | null;
  cores: number;
  memory_mb: number;
  container_id: string | null;
  url: string | null;
  /** Extra container environment until the container exists; then null (see migration 0006). */
  environment: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
  share_id: string | null;
  /** The driving process's lease key while a launch is under way (see manager/driver-lease.ts). */
  driver_key: number | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  running_at: Date | null;
  keepalive_at: Timestamp;
  expires_at: Date | null;
  last_activity_at: Date | null;
  ended_at: Date | null;
  keepalive_seconds: Generated<number>;
  keepalive_action: Generated<'delete' | 'stop' | 'pause'>;
  staged_at: Date | null;
}

export interface SessionEventsTable {
  id: Generated<number>;
  session_id: string;
  state: string;
  reason: string | null;
  at: Timestamp;
}

export interface SessionParticipantsTable {
  session_id: string;
  user_id: string;
  role: 'viewer' | 'collaborator';
  joined_at: Generated<Date>;
}

/** Disconnects an unreachable agent missed (migration 0008). */
export interface PendingDisconnectsTable {
  id: string;
  agent_id: string;
  session_id: string;
  target: Json<AgentDisconnect>;
  before_at: Date;
  created_at: Generated<Date>;
}

export interface ControlPlaneTables {
  session_participants: SessionParticipantsTable;
  pending_disconnects: PendingDisconnectsTable;
  system_settings: SystemSettingsTable;
  zones: ZonesTable;
  agents: AgentsTable;
  images: ImagesTable;
  group_images: GroupImagesTable;
  staging_configs: StagingConfigsTable;
  sessions: SessionsTable;
  session_events: SessionEventsTable;
}

// Developer API (migration 0004)
export interface ApiKeysTable {
  id: string;
  api_key: string;
  secret_hash: Buffer;
  name: string;
  permissions: ColumnType<string[], string[] | undefined, string[]>;
  read_only: Generated<boolean>;
  expires_at: Date | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  last_used_at: Date | null;
}

export interface OneTimeLoginsTable {
  token_hash: Buffer;
  user_id: string;
  session_id: string | null;
  api_key_id: string | null;
  created_at: Generated<Date>;
  expires_at: Date;
}

export interface DeveloperApiTables {
  api_keys: ApiKeysTable;
  one_time_logins: OneTimeLoginsTable;
  audit_log: AuditLogTable;
}

export type AuditActorType = 'user' | 'api_key' | 'anonymous' | 'system';

/** Who changed what (migration 0009). */
export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor_type: AuditActorType;
  actor_id: string | null;
  actor_name: string;
  address: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  diff: Json<Record<string, unknown>>;
  details: Json<Record<string, unknown>>;
}
