-- Automated conversations: per-campaign rules and follow-up drips, what they did to each lead,
-- and the record that keeps every rule and timer at most once.

-- The ordered `when → then` rules and the follow-up drip of a campaign (see automations/schema.ts).
ALTER TABLE campaigns
  ADD COLUMN automations json NOT NULL DEFAULT '[]',
  ADD COLUMN follow_ups  json NOT NULL DEFAULT '[]';

-- What automations set on a lead: tags, and whether the conversation waits for an agent.
CREATE TABLE lead_automation_states (
  lead_id        char(24) PRIMARY KEY REFERENCES leads(id),
  tags           text[] NOT NULL DEFAULT '{}',
  handed_off_at  timestamptz,
  needs_reply    boolean NOT NULL DEFAULT false,
  updated        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_automation_states_needs_reply ON lead_automation_states (lead_id) WHERE needs_reply;

-- One row per firing. `cause` is what fired it exactly once:
--   `msg:<inbound message id>` for a message rule, `silence:<last inbound id|none>` for a no-reply
--   timer, `step:<n>` for a follow-up. The primary key makes a second firing impossible, even
--   when a redelivered message or a restarted timer scan gets there again.
CREATE TABLE automation_firings (
  lead_id     char(24) NOT NULL REFERENCES leads(id),
  rule_id     text NOT NULL, -- the rule's UUID, or `follow-up`
  cause       text NOT NULL,
  message_id  char(24),      -- the inbound message that triggered a message rule
  actions     json NOT NULL DEFAULT '[]', -- what it did, for operators
  fired_at    timestamptz NOT NULL, -- the (injected) clock's time of firing
  send_at     timestamptz,  -- when its reply goes out (schedule / quiet hours may defer it)
  PRIMARY KEY (lead_id, rule_id, cause)
);
CREATE INDEX automation_firings_message ON automation_firings (message_id) WHERE message_id IS NOT NULL;
