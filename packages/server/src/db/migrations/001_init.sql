-- Engage initial schema. Frozen: later changes go in new files.
-- Documents an integrator sees (lead data, campaign settings, event payloads) are `json`, not
-- `jsonb`: json keeps the keys in the order they were given, which the contract's payloads need.

CREATE TABLE organizations (
  id          serial PRIMARY KEY,
  name        text NOT NULL,
  created     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspaces (
  id                  serial PRIMARY KEY,
  org_id              integer NOT NULL REFERENCES organizations(id),
  name                text NOT NULL,
  quiet_hours_policy  text NOT NULL DEFAULT 'US_TCPA' CHECK (quiet_hours_policy IN ('US_TCPA', 'NONE')),
  timezone            text NOT NULL DEFAULT 'America/New_York',
  webhook_secret      text NOT NULL,
  created             timestamptz NOT NULL DEFAULT now(),
  updated             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id            bigserial PRIMARY KEY,
  workspace_id  integer NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL,
  key_hash      bytea NOT NULL UNIQUE,
  key_hint      text NOT NULL,
  created       timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);

CREATE TABLE sender_sources (
  id                  uuid PRIMARY KEY,
  workspace_id        integer NOT NULL REFERENCES workspaces(id),
  name                text NOT NULL,
  sender_source_type  text NOT NULL CHECK (sender_source_type IN ('TEN_DLC', 'TOLL_FREE', 'SHORT_CODE', 'CORE_CAMPAIGN')),
  provider            text NOT NULL,
  mps                 integer NOT NULL DEFAULT 1,
  created             timestamptz NOT NULL DEFAULT now()
);

-- A number belongs to exactly one sender source; inbound messages find their workspace through it.
CREATE TABLE sender_numbers (
  phone             text PRIMARY KEY,
  sender_source_id  uuid NOT NULL REFERENCES sender_sources(id),
  workspace_id      integer NOT NULL REFERENCES workspaces(id),
  created           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sender_numbers_source ON sender_numbers (sender_source_id);

CREATE TABLE campaigns (
  id                          char(24) PRIMARY KEY,
  workspace_id                integer NOT NULL REFERENCES workspaces(id),
  name                        text NOT NULL,
  campaign_status             text NOT NULL DEFAULT 'DRAFT',
  sending_status              text NOT NULL DEFAULT 'IDLE',
  sending_status_description  text NOT NULL DEFAULT 'Not sending: the campaign is not active.',
  next_run_time               timestamptz,
  sender_source_id            uuid REFERENCES sender_sources(id),
  carrier_daily_limits        json  NOT NULL DEFAULT '[]',
  schedule                    json  NOT NULL,
  messages                    json  NOT NULL,
  webhooks                    json  NOT NULL,
  notifications               json  NOT NULL,
  custom_fields               json  NOT NULL DEFAULT '[]',
  dispositions                json  NOT NULL DEFAULT '[]',
  created                     timestamptz NOT NULL DEFAULT now(),
  updated                     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_workspace ON campaigns (workspace_id, id);
CREATE INDEX campaigns_active ON campaigns (campaign_status) WHERE campaign_status = 'ACTIVE';

CREATE TABLE campaign_events (
  id           bigserial PRIMARY KEY,
  campaign_id  char(24) NOT NULL REFERENCES campaigns(id),
  type         text NOT NULL,
  from_status  text,
  to_status    text,
  detail       text,
  created      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_events_campaign ON campaign_events (campaign_id, id);

CREATE TABLE lists (
  id            char(24) PRIMARY KEY,
  workspace_id  integer NOT NULL REFERENCES workspaces(id),
  campaign_id   char(24) NOT NULL REFERENCES campaigns(id),
  name          text NOT NULL,
  list_status   text NOT NULL DEFAULT 'ACTIVE' CHECK (list_status IN ('ACTIVE', 'PAUSED')),
  created       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (campaign_id, name)
);

CREATE TABLE leads (
  id                     char(24) PRIMARY KEY,
  workspace_id           integer NOT NULL REFERENCES workspaces(id),
  campaign_id            char(24) NOT NULL REFERENCES campaigns(id),
  list_id                char(24) NOT NULL REFERENCES lists(id),
  phone                  text NOT NULL,
  status                 text NOT NULL DEFAULT 'PENDING',
  status_message         text,
  carrier                text,
  normalized_carrier     text,
  from_number            text,
  time_zone              text,
  zip                    text,
  state                  text,
  lat                    double precision,
  lon                    double precision,
  lead_data              json  NOT NULL DEFAULT '{}',
  created                timestamptz NOT NULL DEFAULT now(),
  sent                   timestamptz,
  result                 timestamptz,
  retry_after            timestamptz,
  conversation_started   boolean NOT NULL DEFAULT false,
  disposition            text,
  disposition_timestamp  timestamptz,
  -- broadcast claim: set when a sender takes the lead, kept until the provider answered
  claimed_at             timestamptz,
  broadcast_message_id   char(24),
  conversation_key_version integer NOT NULL DEFAULT 1
);
CREATE INDEX leads_campaign_phone ON leads (campaign_id, phone);
CREATE INDEX leads_list ON leads (list_id, id);
CREATE INDEX leads_pending ON leads (campaign_id, time_zone) WHERE status = 'PENDING';
CREATE INDEX leads_sending ON leads (claimed_at) WHERE status = 'SENDING';
CREATE INDEX leads_reply_match ON leads (phone, from_number, sent DESC);

CREATE TABLE messages (
  id                   char(24) PRIMARY KEY,
  workspace_id         integer REFERENCES workspaces(id),
  lead_id              char(24) REFERENCES leads(id),
  direction            text NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')),
  kind                 text NOT NULL, -- BROADCAST, AGENT, AUTO_RESPONSE, HELP, STOP, START, REPLY
  sender               text NOT NULL,
  recipient            text NOT NULL,
  body                 text NOT NULL,
  status               text NOT NULL, -- outbound: PENDING, SENDING, QUEUED, SENT, DELIVERED, UNDELIVERED, FAILED; inbound: RECEIVED
  status_message       text,
  provider             text,
  provider_message_id  text,
  created              timestamptz NOT NULL DEFAULT now(),
  updated              timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_provider_id ON messages (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_lead ON messages (lead_id, id);
CREATE INDEX messages_unmatched ON messages (workspace_id, id) WHERE lead_id IS NULL;

-- Suppression of a phone for a whole workspace: opt-outs and do-not-contact.
CREATE TABLE suppressions (
  workspace_id  integer NOT NULL REFERENCES workspaces(id),
  phone         text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('OPT_OUT', 'DNC')),
  source        text NOT NULL,
  message_id    char(24),
  created       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, phone, kind)
);

CREATE TABLE conversation_keys (
  key_hash    bytea PRIMARY KEY,
  lead_id     char(24) NOT NULL REFERENCES leads(id),
  version     integer NOT NULL,
  created     timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  UNIQUE (lead_id, version)
);

-- The outbox: one row per event, written in the transaction of its cause.
CREATE TABLE events (
  id            char(24) PRIMARY KEY,
  workspace_id  integer NOT NULL REFERENCES workspaces(id),
  campaign_id   char(24) REFERENCES campaigns(id),
  lead_id       char(24) REFERENCES leads(id),
  event_type    text NOT NULL,
  payload       json  NOT NULL, -- {eventType, data}; endpoints are added at delivery
  created       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_lead ON events (lead_id, id);

CREATE TABLE webhook_deliveries (
  id               bigserial PRIMARY KEY,
  event_id         char(24) NOT NULL REFERENCES events(id),
  stream           text NOT NULL, -- conversation + receiver: deliveries of one stream go in order
  url              text NOT NULL,
  status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_status      integer,
  last_error       text,
  created          timestamptz NOT NULL DEFAULT now(),
  finished         timestamptz
);
CREATE INDEX webhook_deliveries_stream ON webhook_deliveries (stream, id) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- The built-in SMS simulator's carrier side: every simulated phone's inbox and outbox.
CREATE TABLE simulator_messages (
  id           char(24) PRIMARY KEY,
  reference    text UNIQUE, -- Engage's message id for messages Engage sent: makes sends idempotent
  sender       text NOT NULL,
  recipient    text NOT NULL,
  body         text NOT NULL,
  direction    text NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')), -- as Engage sees it
  created      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulator_messages_sender ON simulator_messages (sender, id);
CREATE INDEX simulator_messages_recipient ON simulator_messages (recipient, id);
