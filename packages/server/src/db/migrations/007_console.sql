-- Console users, their sessions, and conversation assignment (issue 6). Frozen once released.

-- A person who logs into the console. Each user belongs to one workspace; the e-mail address is
-- the login name and is unique across the installation (compared case-insensitively).
CREATE TABLE users (
  id             bigserial PRIMARY KEY,
  workspace_id   integer NOT NULL REFERENCES workspaces(id),
  email          text NOT NULL,
  name           text NOT NULL,
  role           text NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
  password_hash  text NOT NULL,            -- argon2id, PHC string
  created        timestamptz NOT NULL DEFAULT now(),
  updated        timestamptz NOT NULL DEFAULT now(),
  disabled_at    timestamptz
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_workspace ON users (workspace_id, id);

-- A login. Only the SHA-256 of the session token (the cookie) is stored.
CREATE TABLE sessions (
  token_hash  bytea PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created     timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Which agent answers a conversation (a lead that replied). At most one per lead.
CREATE TABLE conversation_assignments (
  lead_id      char(24) PRIMARY KEY REFERENCES leads(id),
  user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  assigned_by  bigint REFERENCES users(id) ON DELETE SET NULL,
  assigned_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_assignments_user ON conversation_assignments (user_id);
