-- What a lead costs to write. A list import inserts a million leads in one transaction, and the
-- broadcast updates every lead twice (PENDING → SENDING → QUEUED), each time writing a new version
-- into every index of `leads`. Measured with COPY of a million import rows into a copy of `leads`
-- on the embedded PostgreSQL 18 (docs/lists.md, "Speed and memory"):
--
--   * the composite foreign key to `lists` ran one SPI query per row: +6.5 s of 17.9 s;
--   * the B-tree `(campaign_id, phone)` is written at a random place for every row: +4.5 s;
--
-- and with INSERTs of 400-row batches into `messages` (the broadcast's outcome write), its two
-- foreign keys cost 5-12 µs per message (0.5-1.2 s per 100,000). All are replaced by cheaper
-- equivalents that keep the same guarantees (db/lead-integrity.test.ts).

-- 1. The reference from a lead to its list, campaign and workspace is checked once per statement
--    (one join over the statement's new rows) instead of once per row. The list rows are locked
--    KEY SHARE, as the foreign key did, so a list cannot be deleted or re-keyed under an insert.
ALTER TABLE leads DROP CONSTRAINT leads_list_campaign_workspace_fkey;

CREATE FUNCTION engage_leads_check_list() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  PERFORM 1 FROM lists WHERE id IN (SELECT DISTINCT list_id FROM new_leads) ORDER BY id FOR KEY SHARE;
  SELECT n.list_id, n.campaign_id, n.workspace_id INTO bad
  FROM (SELECT DISTINCT list_id, campaign_id, workspace_id FROM new_leads) n
  WHERE NOT EXISTS (SELECT 1 FROM lists l WHERE l.id = n.list_id AND l.campaign_id = n.campaign_id AND l.workspace_id = n.workspace_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'a lead names list %, campaign % and workspace %, and no such list exists', bad.list_id, bad.campaign_id, bad.workspace_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'leads', CONSTRAINT = 'leads_list_campaign_workspace_check';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER leads_check_list AFTER INSERT ON leads REFERENCING NEW TABLE AS new_leads
  FOR EACH STATEMENT EXECUTE FUNCTION engage_leads_check_list();

-- A lead never moves to another list, campaign or workspace.
CREATE FUNCTION engage_leads_keep_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.list_id IS DISTINCT FROM OLD.list_id OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id OR NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
    RAISE EXCEPTION 'lead % cannot move to another list, campaign or workspace', OLD.id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'leads', CONSTRAINT = 'leads_list_campaign_workspace_check';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER leads_keep_list BEFORE UPDATE OF list_id, campaign_id, workspace_id ON leads
  FOR EACH ROW EXECUTE FUNCTION engage_leads_keep_list();

-- A list that has leads is neither deleted nor re-keyed. The row lock is taken before this runs,
-- so an insert still in flight (holding KEY SHARE) is waited for, and its leads are then seen.
CREATE FUNCTION engage_lists_keep_leads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.campaign_id = OLD.campaign_id AND NEW.workspace_id = OLD.workspace_id THEN
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM leads WHERE campaign_id = OLD.campaign_id AND list_id = OLD.id) THEN
    RAISE EXCEPTION 'list % has leads', OLD.id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'lists', CONSTRAINT = 'leads_list_campaign_workspace_check';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER lists_keep_leads BEFORE DELETE OR UPDATE OF id, campaign_id, workspace_id ON lists
  FOR EACH ROW EXECUTE FUNCTION engage_lists_keep_leads();

-- 2. Finding a campaign's lead by phone (dedupe) uses a hash index on the phone: one bucket page per
--    row instead of a walk down a B-tree to a random leaf (+1.9 s instead of +4.5 s per million).
--    The campaign is checked on the few rows of that phone.
DROP INDEX leads_campaign_phone;
CREATE INDEX leads_phone ON leads USING hash (phone);

-- 3. A list's leads in id order, led by the campaign so that it also serves every query over a
--    campaign's leads (which `leads_campaign_phone` served before).
DROP INDEX leads_list;
CREATE INDEX leads_campaign_list ON leads (campaign_id, list_id, id);

-- 4. A message's lead and workspace are checked once per INSERT statement instead of once per row
--    (the broadcast inserts its messages 400 at a time), and again when an UPDATE sets them (an
--    inbound message matched to its lead later). No row lock is needed on the lead or workspace:
--    neither is ever deleted nor re-keyed, which the guards below enforce.
ALTER TABLE messages DROP CONSTRAINT messages_lead_id_fkey, DROP CONSTRAINT messages_workspace_id_fkey;

CREATE FUNCTION engage_messages_check_refs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  SELECT n.lead_id INTO bad FROM (SELECT DISTINCT lead_id FROM new_messages WHERE lead_id IS NOT NULL) n
  WHERE NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = n.lead_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'a message names lead %, which does not exist', bad
      USING ERRCODE = 'foreign_key_violation', TABLE = 'messages', CONSTRAINT = 'messages_lead_check';
  END IF;
  SELECT n.workspace_id::text INTO bad FROM (SELECT DISTINCT workspace_id FROM new_messages WHERE workspace_id IS NOT NULL) n
  WHERE NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = n.workspace_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'a message names workspace %, which does not exist', bad
      USING ERRCODE = 'foreign_key_violation', TABLE = 'messages', CONSTRAINT = 'messages_workspace_check';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER messages_check_refs AFTER INSERT ON messages REFERENCING NEW TABLE AS new_messages
  FOR EACH STATEMENT EXECUTE FUNCTION engage_messages_check_refs();

CREATE FUNCTION engage_messages_check_ref_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.lead_id IS NOT NULL AND NEW.lead_id IS DISTINCT FROM OLD.lead_id AND NOT EXISTS (SELECT 1 FROM leads WHERE id = NEW.lead_id) THEN
    RAISE EXCEPTION 'a message names lead %, which does not exist', NEW.lead_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'messages', CONSTRAINT = 'messages_lead_check';
  END IF;
  IF NEW.workspace_id IS NOT NULL AND NEW.workspace_id IS DISTINCT FROM OLD.workspace_id AND NOT EXISTS (SELECT 1 FROM workspaces WHERE id = NEW.workspace_id) THEN
    RAISE EXCEPTION 'a message names workspace %, which does not exist', NEW.workspace_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'messages', CONSTRAINT = 'messages_workspace_check';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER messages_check_ref_update BEFORE UPDATE OF lead_id, workspace_id ON messages
  FOR EACH ROW EXECUTE FUNCTION engage_messages_check_ref_update();

-- Leads and workspaces are kept: the consent and message history of a phone must outlive any
-- campaign. Neither is deleted, truncated or given another id.
CREATE FUNCTION engage_keep_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% are kept: rows are never deleted, truncated or re-keyed', TG_TABLE_NAME
    USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
END
$$;
CREATE TRIGGER leads_keep BEFORE DELETE OR UPDATE OF id ON leads FOR EACH STATEMENT EXECUTE FUNCTION engage_keep_rows();
CREATE TRIGGER leads_keep_truncate BEFORE TRUNCATE ON leads FOR EACH STATEMENT EXECUTE FUNCTION engage_keep_rows();
CREATE TRIGGER workspaces_keep BEFORE DELETE OR UPDATE OF id ON workspaces FOR EACH STATEMENT EXECUTE FUNCTION engage_keep_rows();
CREATE TRIGGER workspaces_keep_truncate BEFORE TRUNCATE ON workspaces FOR EACH STATEMENT EXECUTE FUNCTION engage_keep_rows();
