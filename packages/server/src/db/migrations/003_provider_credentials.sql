-- Per-workspace accounts at real SMS providers (Twilio, Telnyx). Frozen once applied.
-- Secret fields (Twilio auth token, Telnyx API key) live only in `secret_box`: AES-256-GCM under a
-- key derived from ENGAGE_SECRET, bound to the row's id, workspace and provider. Operators see
-- only `secret_hints` (the last four characters). A sender source uses a credential through its
-- `provider` column: '<provider>:<credential id>' (e.g. 'twilio:8a5e…').
CREATE TABLE provider_credentials (
  id            uuid PRIMARY KEY,
  workspace_id  integer NOT NULL REFERENCES workspaces(id),
  provider      text NOT NULL CHECK (provider IN ('twilio', 'telnyx')),
  name          text NOT NULL,
  settings      jsonb NOT NULL DEFAULT '{}', -- not secret: accountSid, messagingServiceSid, messagingProfileId, publicKey
  secret_box    bytea NOT NULL,              -- version (1 byte) || IV (12) || GCM tag (16) || ciphertext of the secrets' JSON
  secret_hints  jsonb NOT NULL DEFAULT '{}', -- e.g. {"authToken": "…a1b2"}
  created       timestamptz NOT NULL DEFAULT now(),
  updated       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, provider, name)
);
CREATE INDEX provider_credentials_workspace ON provider_credentials (workspace_id, created);
