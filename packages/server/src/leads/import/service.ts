/**
 * Starting a list import once its upload is on disk: check the request, then — in one transaction —
 * reuse or create the list, record the import and queue its job. Nothing is written when a check
 * fails, and the uploaded file is removed.
 */
import { rename, rm } from 'node:fs/promises';
import type { Principal } from '../../auth/api-keys.ts';
import { getCampaign } from '../../campaigns/service.ts';
import type { AppContext } from '../../context.ts';
import { isId } from '../../core/ids.ts';
import { iso } from '../../core/time.ts';
import { addJob } from '../../db/jobs.ts';
import { ApiError, badRequest } from '../../http/errors.ts';
import { upsertList } from '../load.ts';
import { IMPORT_LIST_TASK, IMPORT_MAX_ATTEMPTS, importJobKey } from './import-list.task.ts';
import { parseProcessRequest } from './options.ts';
import { importFile } from './store.ts';
import type { Upload } from './upload.ts';

export interface ImportAccepted {
  listId: string;
  jobId: string;
  status: 'PROCESSING';
}

export async function startImport(ctx: AppContext, who: Principal, jobId: string, upload: Upload): Promise<ImportAccepted> {
  try {
    const campaignId = upload.fields.campaignId?.trim() ?? '';
    if (campaignId === '') throw badRequest('campaignId', 'campaignId is required');
    if (!isId(campaignId)) throw badRequest('campaignId', 'campaignId must be a campaign id (24 hex characters)');
    const options = parseProcessRequest(upload.fields.processRequest);
    const file = upload.file;
    if (file === null) throw badRequest('file', 'file is required: the CSV list');
    if (file.bytes === 0) throw badRequest('file', 'file is empty');
    const campaign = await getCampaign(ctx.db, who.workspaceId, campaignId);
    if (campaign.campaign_status === 'COMPLETED') throw new ApiError(409, 'CONFLICT', 'the campaign is completed and takes no more leads', 'campaignId');

    const now = ctx.now();
    const listName = (options.listName ?? file.name ?? `Upload ${iso(now)}`).slice(0, 200);
    const target = importFile(ctx.config.dataDir, jobId);
    await rename(file.path, target);
    upload.file = { ...file, path: target };
    return await ctx.db.transaction().execute(async (trx) => {
      const list = await upsertList(trx, who.workspaceId, campaign.id, listName, now);
      await trx
        .insertInto('list_imports')
        .values({
          id: jobId, workspace_id: who.workspaceId, campaign_id: campaign.id, list_id: list.id, file_name: file.name,
          file_bytes: file.bytes, options: JSON.stringify(options), webhook_url: options.webhookUrl,
          webhook_status: options.webhookUrl === null ? null : 'PENDING', webhook_last_error: null, created: now, started: null, finished: null,
          message: null, total: null,
        })
        .execute();
      await addJob(trx, IMPORT_LIST_TASK, { importId: jobId }, { jobKey: importJobKey(jobId), maxAttempts: IMPORT_MAX_ATTEMPTS });
      return { listId: list.id, jobId, status: 'PROCESSING' as const };
    });
  } catch (err) {
    if (upload.file) await rm(upload.file.path, { force: true });
    throw err;
  }
}
