-- Stream disconnects (a kick, a revoke, a locked user) that the session's agent did not take when
-- they happened, because it could not be reached. The agent gets them with its next check-in and
-- says which it carried out in the one after; they go with the session or the agent.
CREATE TABLE pending_disconnects (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id    uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  target      jsonb NOT NULL,
  -- Server time of the change: only streams whose grant was issued up to then are closed.
  before_at   timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_disconnects_agent ON pending_disconnects (agent_id);
