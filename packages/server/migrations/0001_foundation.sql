-- Foundation: installation identity, users, groups, sign-in sessions.
CREATE TABLE installation (
  id          uuid PRIMARY KEY,
  singleton   boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             uuid PRIMARY KEY,
  username       text NOT NULL,
  display_name   text NOT NULL DEFAULT '',
  password_hash  text NOT NULL,
  locked         boolean NOT NULL DEFAULT false,
  disabled       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  last_login_at  timestamptz
);
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

CREATE TABLE groups (
  id           uuid PRIMARY KEY,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  priority     integer NOT NULL DEFAULT 100,
  settings     jsonb NOT NULL DEFAULT '{}'::jsonb,
  system_role  text CHECK (system_role IN ('administrators', 'all_users')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_name_lower ON groups (lower(name));
CREATE UNIQUE INDEX groups_system_role ON groups (system_role) WHERE system_role IS NOT NULL;

CREATE TABLE group_members (
  group_id  uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- Browser sign-in sessions: only a hash of the token is stored.
CREATE TABLE auth_sessions (
  token_hash    bytea PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  address       text,
  user_agent    text
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
CREATE INDEX auth_sessions_expires ON auth_sessions (expires_at);
