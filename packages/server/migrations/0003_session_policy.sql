-- The owner's expiry policy is fixed when a session starts, so the manager needs no group lookups.
ALTER TABLE sessions ADD COLUMN keepalive_seconds integer NOT NULL DEFAULT 3600;
ALTER TABLE sessions ADD COLUMN keepalive_action text NOT NULL DEFAULT 'delete'
  CHECK (keepalive_action IN ('delete', 'stop', 'pause'));
ALTER TABLE sessions ADD COLUMN staged_at timestamptz;
CREATE INDEX sessions_staged ON sessions (staging_id) WHERE ended_at IS NULL AND user_id IS NULL;
