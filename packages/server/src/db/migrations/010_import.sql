-- List import speed and recovery. Frozen once applied.

-- Inbound replies are matched to the lead most recently texted from the number they were sent to
-- (conversations/inbound.ts: phone = $from AND from_number = $to). A lead that was never texted
-- has no from_number and can never match, so the index only needs the texted ones. Imported leads
-- are never texted yet: they no longer write this index, whose phone-first key made each of them a
-- write at a random place (docs/decisions.md).
CREATE INDEX leads_reply_match_texted ON leads (phone, from_number, sent DESC) WHERE from_number IS NOT NULL;
DROP INDEX leads_reply_match;

-- A running import's lease: the worker loading the file renews `heartbeat` every few seconds. A
-- PROCESSING import whose heartbeat is older than the lease was left by a worker that died (its
-- transaction rolled back with its connection); another worker takes it over and loads the file
-- again from the start.
ALTER TABLE list_imports ADD COLUMN heartbeat timestamptz;
ALTER TABLE list_imports ADD COLUMN attempts integer NOT NULL DEFAULT 0;
CREATE INDEX list_imports_processing ON list_imports (heartbeat) WHERE status = 'PROCESSING';
