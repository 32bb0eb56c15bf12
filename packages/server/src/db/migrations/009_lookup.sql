-- Line type lookups and MMS media.
--
-- A lead of a campaign whose sender source sends through a Twilio credential with
-- `lookupLineType` on is looked up (Twilio Lookup v2, line_type_intelligence) before its
-- broadcast: `lookup_status` is NULL (never needed or not yet asked), 'PENDING' (waiting for the
-- lookup task: the broadcast skips it meanwhile), 'DONE' (answered: `line_type` holds Twilio's
-- type) or 'FAILED' (the lookup could not be made: the lead is texted anyway).
ALTER TABLE leads ADD COLUMN line_type text;
ALTER TABLE leads ADD COLUMN lookup_status text CHECK (lookup_status IN ('PENDING', 'DONE', 'FAILED'));
-- The lookup task's queue: the few leads of a campaign waiting for a lookup.
CREATE INDEX leads_lookup_pending ON leads (campaign_id, id) WHERE lookup_status = 'PENDING';

-- Media of an inbound MMS (Twilio MediaUrl{N}/MediaContentType{N}, Telnyx payload.media[]), in
-- the order the provider listed them. Only the URL and the content type are kept: Engage never
-- downloads them.
CREATE TABLE message_media (
  message_id char(24) NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  position int NOT NULL,
  url text NOT NULL,
  content_type text,
  PRIMARY KEY (message_id, position)
);
