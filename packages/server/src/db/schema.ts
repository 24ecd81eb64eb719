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

export interface Database {
  installation: InstallationTable;
  users: UsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  auth_sessions: AuthSessionsTable;
}
