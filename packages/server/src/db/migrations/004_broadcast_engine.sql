-- Broadcast engine: throttles, retries, number pools, carrier daily limits. Frozen once applied.

-- Sender sources: `mps` is the whole source's limit in SMS segments per second (null = none),
-- `number_mps` the limit of each of its numbers (null = none); fractions allowed (0.5 = one
-- segment every two seconds). `area_code_match`: prefer a pool number with the lead's area code.
ALTER TABLE sender_sources ALTER COLUMN mps DROP NOT NULL;
ALTER TABLE sender_sources ALTER COLUMN mps DROP DEFAULT;
ALTER TABLE sender_sources ALTER COLUMN mps TYPE double precision;
ALTER TABLE sender_sources ADD CONSTRAINT sender_sources_mps_positive CHECK (mps IS NULL OR mps > 0);
ALTER TABLE sender_sources ADD COLUMN number_mps double precision CHECK (number_mps IS NULL OR number_mps > 0);
ALTER TABLE sender_sources ADD COLUMN area_code_match boolean NOT NULL DEFAULT false;
ALTER TABLE sender_sources ADD COLUMN updated timestamptz NOT NULL DEFAULT now();
-- The bootstrap's simulator source had a nominal 10; the simulator is unthrottled by default.
UPDATE sender_sources SET mps = NULL WHERE provider = 'simulator';

-- Leads: how many times the broadcast was tried (retryable failures put a lead back to PENDING
-- with `retry_after`).
ALTER TABLE leads ADD COLUMN attempts integer NOT NULL DEFAULT 0;
-- The sender's work queue, by the (time zone, state) a schedule and quiet-hours policy are
-- evaluated for. coalesce() so that a loose index scan can walk the distinct pairs, NULLs included.
CREATE INDEX leads_pending_zone ON leads (campaign_id, (coalesce(time_zone, '')), (coalesce(state, '')), id) WHERE status = 'PENDING';
DROP INDEX leads_pending;

-- Outbound messages: attempts of replies (the send-message task retries retryable failures) and
-- when the next one may run.
ALTER TABLE messages ADD COLUMN attempts integer NOT NULL DEFAULT 0;
-- Replies in flight, by age: the lease recovery looks for those older than the lease every second
-- (broadcasts in flight are found by their leads, through leads_sending).
CREATE INDEX messages_sending ON messages (updated) WHERE status = 'SENDING';

-- Token buckets shared by every sender process: one row per sender source and per sender number
-- with a limit. `tokens` may go below zero (a message of several segments takes them all at once);
-- the bucket then refills before the next message.
CREATE TABLE send_rate_buckets (
  key     text PRIMARY KEY,          -- 'source:<uuid>' or 'number:<E.164>'
  tokens  double precision NOT NULL,
  at      timestamptz NOT NULL
);

-- Messages per campaign, carrier and day (the workspace's calendar day), for carrierDailyLimits.
CREATE TABLE campaign_carrier_counts (
  campaign_id  char(24) NOT NULL REFERENCES campaigns(id),
  carrier      text NOT NULL,
  day          date NOT NULL,
  sent         integer NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, carrier, day)
);
