-- Integrator guarantees (issue 9): idempotent requests, the event log's delivery attempts,
-- endpoint health, the consent ledger and webhook secret rotation. Frozen once released.

-- One row per Idempotency-Key. `scope` is `ws:<workspaceId>` (API-key routes) or
-- `lead:<leadId>` (conversation-key routes). A key is claimed (IN_PROGRESS) by inserting the row;
-- a concurrent duplicate finds it and waits. Only successful (2xx) responses are stored.
CREATE TABLE idempotency_keys (
  scope            text NOT NULL,
  key              text NOT NULL,
  fingerprint      bytea NOT NULL, -- SHA-256 of method, route and body
  state            text NOT NULL DEFAULT 'IN_PROGRESS' CHECK (state IN ('IN_PROGRESS', 'COMPLETED')),
  response_status  integer,
  response_body    text,
  created          timestamptz NOT NULL DEFAULT now(),
  completed        timestamptz,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created);

-- The event log: list events of a workspace newest first, by campaign and type.
CREATE INDEX events_workspace ON events (workspace_id, id);
CREATE INDEX events_campaign ON events (campaign_id, id);
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (event_id) WHERE status = 'FAILED';
-- A replay delivery runs in the rate-limited replay lane, not in its conversation's live stream.
ALTER TABLE webhook_deliveries ADD COLUMN lane text NOT NULL DEFAULT 'LIVE' CHECK (lane IN ('LIVE', 'REPLAY'));
ALTER TABLE webhook_deliveries ADD COLUMN workspace_id integer REFERENCES workspaces(id);
CREATE INDEX webhook_deliveries_replay ON webhook_deliveries (workspace_id, stream, id) WHERE lane = 'REPLAY' AND status = 'PENDING';

-- Every delivery attempt, for operators debugging a receiver.
CREATE TABLE webhook_attempts (
  id                     bigserial PRIMARY KEY,
  delivery_id            bigint NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  attempted_at           timestamptz NOT NULL,
  request_headers        json NOT NULL,
  response_status        integer,
  response_body_excerpt  text,
  duration_ms            integer NOT NULL,
  error                  text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- Health of one receiver URL of one campaign. An endpoint with only failures for long enough,
-- or that answered 410 Gone, is disabled: nothing more is sent to it until it is enabled again.
CREATE TABLE webhook_endpoints (
  campaign_id           char(24) NOT NULL REFERENCES campaigns(id),
  url                   text NOT NULL,
  workspace_id          integer NOT NULL REFERENCES workspaces(id),
  first_failure_at      timestamptz, -- start of the current run of failures; null when healthy
  consecutive_failures  integer NOT NULL DEFAULT 0,
  last_success_at       timestamptz,
  -- while failing, one attempt at a time: a slow or dead receiver holds at most one worker slot
  attempt_lease_until   timestamptz,
  disabled_at           timestamptz,
  disabled_reason       text,
  PRIMARY KEY (campaign_id, url)
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id);

-- Webhook secret rotation: the previous secret keeps signing (beside the new one) until it expires.
ALTER TABLE workspaces
  ADD COLUMN previous_webhook_secret text,
  ADD COLUMN previous_webhook_secret_expires timestamptz;

-- The consent ledger: every opt-out, opt-in and do-not-contact change, append-only.
-- `suppressions` (the current state, which list imports and the sender join) is derived from it
-- by the trigger below; direct writes to `suppressions` are turned into ledger records.
CREATE TABLE consent_records (
  id            bigserial PRIMARY KEY,
  workspace_id  integer NOT NULL REFERENCES workspaces(id),
  phone         text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('OPT_OUT', 'DNC')),
  action        text NOT NULL CHECK (action IN ('ADD', 'REMOVE')),
  source        text NOT NULL, -- KEYWORD, AGENT, API, IMPORT, PROVIDER
  detail        text,
  message_id    char(24),
  created       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_records_phone ON consent_records (workspace_id, phone, id);
CREATE INDEX consent_records_created ON consent_records (workspace_id, created, id);

ALTER TABLE suppressions ADD COLUMN record_id bigint;
CREATE INDEX suppressions_record ON suppressions (workspace_id, record_id);

-- Existing suppressions become the ledger's first records.
INSERT INTO consent_records (workspace_id, phone, kind, action, source, detail, message_id, created)
SELECT workspace_id, phone, kind, 'ADD', upper(split_part(source, ':', 1)), source, message_id, created FROM suppressions ORDER BY created;
UPDATE suppressions s SET record_id = c.id FROM consent_records c
 WHERE c.workspace_id = s.workspace_id AND c.phone = s.phone AND c.kind = s.kind;

CREATE FUNCTION consent_records_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.action = 'ADD' THEN
    INSERT INTO suppressions (workspace_id, phone, kind, source, message_id, created, record_id)
    VALUES (NEW.workspace_id, NEW.phone, NEW.kind, NEW.source, NEW.message_id, NEW.created, NEW.id)
    ON CONFLICT (workspace_id, phone, kind) DO NOTHING;
  ELSE
    DELETE FROM suppressions WHERE workspace_id = NEW.workspace_id AND phone = NEW.phone AND kind = NEW.kind;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER consent_records_apply AFTER INSERT ON consent_records FOR EACH ROW EXECUTE FUNCTION consent_records_apply();

CREATE FUNCTION consent_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'consent_records is append-only';
END $$;
CREATE TRIGGER consent_records_append_only BEFORE UPDATE OR DELETE ON consent_records
  FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();

-- A write to `suppressions` that does not come from the ledger's trigger becomes a ledger record
-- (which then applies it), so the state cannot drift from the ledger.
CREATE FUNCTION suppressions_via_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() > 1 THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    INSERT INTO consent_records (workspace_id, phone, kind, action, source, detail)
    VALUES (OLD.workspace_id, OLD.phone, OLD.kind, 'REMOVE', 'API', 'direct delete');
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'suppressions are derived from consent_records; append a record instead';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM suppressions WHERE workspace_id = NEW.workspace_id AND phone = NEW.phone AND kind = NEW.kind) THEN
    INSERT INTO consent_records (workspace_id, phone, kind, action, source, detail, message_id, created)
    VALUES (NEW.workspace_id, NEW.phone, NEW.kind, 'ADD', upper(split_part(NEW.source, ':', 1)), NEW.source, NEW.message_id, NEW.created);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER suppressions_via_ledger BEFORE INSERT OR UPDATE OR DELETE ON suppressions
  FOR EACH ROW EXECUTE FUNCTION suppressions_via_ledger();
