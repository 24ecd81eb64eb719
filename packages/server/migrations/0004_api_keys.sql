-- Developer API keys: the public part (`api_key`) finds the row, only a SHA-256 of the secret is
-- kept (the secret is 256 random bits, so a fast hash is enough: nothing to brute-force).
CREATE TABLE api_keys (
  id            uuid PRIMARY KEY,
  api_key       text NOT NULL UNIQUE,
  secret_hash   bytea NOT NULL,
  name          text NOT NULL,
  permissions   text[] NOT NULL DEFAULT '{}',
  read_only     boolean NOT NULL DEFAULT false,
  expires_at    timestamptz,
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz
);

-- One-time sign-in links (`kasm_url`): a browser that opens one is signed in as the user once.
-- Deleting the key that issued a link, the user or the session voids the link.
CREATE TABLE one_time_logins (
  token_hash  bytea PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id  uuid REFERENCES sessions (id) ON DELETE CASCADE,
  api_key_id  uuid REFERENCES api_keys (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX one_time_logins_expires ON one_time_logins (expires_at);
