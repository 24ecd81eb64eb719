-- Control plane: zones, agents, workspace images, sessions and their history, staging, settings.
CREATE TABLE system_settings (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE zones (
  id                      uuid PRIMARY KEY,
  name                    text NOT NULL,
  is_default              boolean NOT NULL DEFAULT false,
  search_alternate_zones  boolean NOT NULL DEFAULT true,
  created_at              timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX zones_name_lower ON zones (lower(name));
CREATE UNIQUE INDEX zones_one_default ON zones (is_default) WHERE is_default;

CREATE TABLE agents (
  id                  uuid PRIMARY KEY,
  name                text NOT NULL,
  zone_id             uuid NOT NULL REFERENCES zones (id),
  url                 text NOT NULL,
  secret_hash         bytea NOT NULL,
  hostname            text,
  enabled             boolean NOT NULL DEFAULT true,
  draining            boolean NOT NULL DEFAULT false,
  cores_override      double precision,
  memory_mb_override  integer,
  resources           jsonb,
  images              jsonb NOT NULL DEFAULT '[]'::jsonb,
  version             text,
  last_checkin_at     timestamptz,
  offline_since       timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agents_name_lower ON agents (lower(name));

CREATE TABLE images (
  id             uuid PRIMARY KEY,
  name           text NOT NULL,
  friendly_name  text NOT NULL,
  description    text NOT NULL DEFAULT '',
  docker_image   text NOT NULL,
  cores          double precision NOT NULL CHECK (cores > 0),
  memory_mb      integer NOT NULL CHECK (memory_mb > 0),
  shm_mb         integer NOT NULL DEFAULT 512,
  gpu_count      integer NOT NULL DEFAULT 0,
  network        text,
  zone_id        uuid REFERENCES zones (id) ON DELETE SET NULL,
  agent_id       uuid REFERENCES agents (id) ON DELETE SET NULL,
  enabled        boolean NOT NULL DEFAULT true,
  categories     jsonb NOT NULL DEFAULT '[]'::jsonb,
  icon           text,
  run_config     jsonb NOT NULL DEFAULT '{}'::jsonb,
  exec_config    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX images_name ON images (name);

CREATE TABLE group_images (
  group_id  uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  image_id  uuid NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, image_id)
);
CREATE INDEX group_images_image ON group_images (image_id);

CREATE TABLE staging_configs (
  id                  uuid PRIMARY KEY,
  zone_id             uuid NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
  image_id            uuid NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  desired_count       integer NOT NULL CHECK (desired_count >= 0),
  expiration_seconds  integer NOT NULL DEFAULT 3600,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (zone_id, image_id)
);

CREATE TABLE sessions (
  id                uuid PRIMARY KEY,
  user_id           uuid REFERENCES users (id) ON DELETE SET NULL,
  image_id          uuid NOT NULL REFERENCES images (id),
  agent_id          uuid REFERENCES agents (id) ON DELETE SET NULL,
  zone_id           uuid REFERENCES zones (id) ON DELETE SET NULL,
  staging_id        uuid REFERENCES staging_configs (id) ON DELETE SET NULL,
  state             text NOT NULL,
  state_reason      text,
  cores             double precision NOT NULL,
  memory_mb         integer NOT NULL,
  container_id      text,
  url               text,
  share_id          text UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  running_at        timestamptz,
  keepalive_at      timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz,
  last_activity_at  timestamptz,
  ended_at          timestamptz
);
CREATE INDEX sessions_user_live ON sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_agent_live ON sessions (agent_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_state ON sessions (state) WHERE ended_at IS NULL;

CREATE TABLE session_events (
  id          bigserial PRIMARY KEY,
  session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  state       text NOT NULL,
  reason      text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_events_session ON session_events (session_id, id);
