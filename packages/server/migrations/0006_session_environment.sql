-- Per-session environment variables (request_kasm's `environment`). Kept only until the agent has
-- created the container (the provisioner clears it then), so values such as tokens do not stay
-- at rest longer than the start needs them.
ALTER TABLE sessions ADD COLUMN environment jsonb;
