-- Live conversation updates (the widget's event stream): every change an agent must see is
-- announced on the channel `engage_conversation`, from whichever process made it (API, worker,
-- another machine). Payloads: `l:<lead id>` (its messages or its lead row changed) and
-- `p:<workspace id>:<phone>` (the phone's suppression changed). API processes LISTEN only while
-- a widget is open. Broadcast messages are left out: a bulk send must not pay a NOTIFY per row,
-- and nobody watches a conversation before the lead answers.

CREATE FUNCTION engage_notify_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('engage_conversation', 'l:' || NEW.lead_id);
  RETURN NULL;
END $$;

CREATE TRIGGER messages_notify_insert AFTER INSERT ON messages
  FOR EACH ROW WHEN (NEW.lead_id IS NOT NULL AND NEW.kind <> 'BROADCAST')
  EXECUTE FUNCTION engage_notify_message();

-- Inbound messages are stored first and matched to their lead (lead_id set) after.
CREATE TRIGGER messages_notify_update AFTER UPDATE OF lead_id, status, status_message ON messages
  FOR EACH ROW WHEN (NEW.lead_id IS NOT NULL AND NEW.kind <> 'BROADCAST'
    AND (OLD.lead_id IS DISTINCT FROM NEW.lead_id OR OLD.status IS DISTINCT FROM NEW.status
      OR OLD.status_message IS DISTINCT FROM NEW.status_message))
  EXECUTE FUNCTION engage_notify_message();

CREATE FUNCTION engage_notify_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('engage_conversation', 'l:' || NEW.id);
  RETURN NULL;
END $$;

-- conversation_key_version: a rotated key must end the streams opened with the old one.
CREATE TRIGGER leads_notify AFTER UPDATE OF disposition, conversation_started, conversation_key_version ON leads
  FOR EACH ROW WHEN (OLD.disposition IS DISTINCT FROM NEW.disposition
    OR OLD.conversation_started IS DISTINCT FROM NEW.conversation_started
    OR OLD.conversation_key_version IS DISTINCT FROM NEW.conversation_key_version)
  EXECUTE FUNCTION engage_notify_lead();

CREATE FUNCTION engage_notify_suppression() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s suppressions;
BEGIN
  IF TG_OP = 'DELETE' THEN s := OLD; ELSE s := NEW; END IF;
  PERFORM pg_notify('engage_conversation', 'p:' || s.workspace_id || ':' || s.phone);
  RETURN NULL;
END $$;

CREATE TRIGGER suppressions_notify AFTER INSERT OR DELETE ON suppressions
  FOR EACH ROW EXECUTE FUNCTION engage_notify_suppression();
