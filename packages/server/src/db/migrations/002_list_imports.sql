-- CSV list imports (`POST /api/public/engage/list/load`): one row per uploaded file, from the
-- upload to the completion webhook. The leads themselves are written in one transaction at the end
-- of the import, so this row is the only trace a failed or cancelled import leaves.
CREATE TABLE list_imports (
  id                  char(24) PRIMARY KEY, -- the job id answered to the uploader
  workspace_id        integer NOT NULL REFERENCES workspaces(id),
  campaign_id         char(24) NOT NULL REFERENCES campaigns(id),
  list_id             char(24) NOT NULL REFERENCES lists(id),
  file_name           text,
  file_bytes          bigint NOT NULL,
  options             json NOT NULL, -- the validated processRequest (mapping, deDupe, header row)
  webhook_url         text,
  status              text NOT NULL DEFAULT 'PROCESSING' CHECK (status IN ('PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED')),
  message             text,
  total               integer, -- data rows in the file; null until parsed
  processed           integer NOT NULL DEFAULT 0,
  bytes_processed     bigint NOT NULL DEFAULT 0,
  accepted            integer NOT NULL DEFAULT 0,
  rejected            integer NOT NULL DEFAULT 0,
  reasons             json NOT NULL DEFAULT '{}', -- rejection reason → count
  rejections          json NOT NULL DEFAULT '[]', -- the first 10,000 [{row, reason, value}]
  rejections_omitted  integer NOT NULL DEFAULT 0,
  webhook_status      text CHECK (webhook_status IN ('PENDING', 'DELIVERED', 'FAILED')),
  webhook_attempts    integer NOT NULL DEFAULT 0,
  webhook_last_error  text,
  created             timestamptz NOT NULL DEFAULT now(),
  started             timestamptz,
  finished            timestamptz
);
CREATE INDEX list_imports_workspace ON list_imports (workspace_id, id);
CREATE INDEX list_imports_list ON list_imports (list_id, id);

-- A lead's list, campaign and workspace are checked with one foreign key instead of three. Every
-- inserted lead runs one check per foreign key (a row trigger), and at a million leads per import the
-- three checks of 001 cost more than writing the leads themselves (docs/lists.md has the numbers).
-- The composite key is also stricter: a lead's campaign and workspace must be its list's.
ALTER TABLE lists ADD CONSTRAINT lists_id_campaign_workspace UNIQUE (id, campaign_id, workspace_id);
ALTER TABLE leads
  DROP CONSTRAINT leads_workspace_id_fkey,
  DROP CONSTRAINT leads_campaign_id_fkey,
  DROP CONSTRAINT leads_list_id_fkey,
  ADD CONSTRAINT leads_list_campaign_workspace_fkey FOREIGN KEY (list_id, campaign_id, workspace_id)
    REFERENCES lists (id, campaign_id, workspace_id);
