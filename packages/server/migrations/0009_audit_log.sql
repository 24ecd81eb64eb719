-- Who changed what, when and from where: every admin change, sign-ins (successful and not),
-- sign-outs and session launches, deletes and shares. Rows are written in the transaction of the
-- change they record and removed only by the retention purge (system setting
-- audit_retention_days), so there is no foreign key: an entry outlives its actor and its resource.
CREATE TABLE audit_log (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Milliseconds, as JavaScript holds them, so a page cursor (at, id) compares exactly.
  at             timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  actor_type     text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'anonymous', 'system')),
  actor_id       text,
  actor_name     text NOT NULL DEFAULT '',
  address        text,
  action         text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  resource_type  text NOT NULL CHECK (resource_type ~ '^[a-z_]+$'),
  resource_id    text,
  diff           jsonb NOT NULL DEFAULT '{}',
  details        jsonb NOT NULL DEFAULT '{}'
);
-- Newest first is the only order read; the id breaks ties between entries of one instant.
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id, at DESC);
