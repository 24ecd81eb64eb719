-- Session sharing: who joined a shared session, and as what.
CREATE TABLE session_participants (
  session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('viewer', 'collaborator')),
  joined_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, user_id)
);
CREATE INDEX session_participants_user ON session_participants (user_id);
