/**
 * `import-list` — loads one uploaded CSV file (a `list_imports` row) and tells `webhookUrl` how it
 * went. Idempotent: an import still PROCESSING is (re)loaded from the start, since a failed attempt
 * committed nothing; a finished one only has its webhook (re)tried. Payload: `{ importId }`.
 *
 * Failures the operator can act on (not CSV, not UTF-8, an unclosed quote, the campaign completed
 * meanwhile) end the import FAILED with a message. Anything else is retried by graphile-worker, and
 * on the last attempt ends FAILED too.
 */
import { rm } from 'node:fs/promises';
import type { JobHelpers, Task } from 'graphile-worker';
import type { AppContext } from '../../context.ts';
import { addJob } from '../../db/jobs.ts';
import { createWebhookDispatcher } from '../../webhooks/address-guard.ts';
import { postWebhook } from '../../webhooks/post.ts';
import { signatureHeaders } from '../../webhooks/signing.ts';
import { workspaceSigningSecrets } from '../../workspaces/webhook-secret.ts';
import { asFileError } from './csv.ts';
import { holdImport, startImportRecovery } from './lease.ts';
import { ImportCancelled, ImportRefused, loadFile } from './load-file.ts';
import { storedOptions } from './options.ts';
import { failImport, getImport, importFile, importSummary, type ListImportRow } from './store.ts';

export const IMPORT_LIST_TASK = 'import-list';
/** Attempts of one import before it is marked FAILED (each starts the file over). */
export const IMPORT_MAX_ATTEMPTS = 3;
/** The `x-event-type` of the completion webhook. */
export const LIST_LOAD_EVENT = 'ListLoadCompleted';

export const importJobKey = (importId: string) => `list-import:${importId}`;

export function importListTask(ctx: AppContext): Task {
  const dispatcher = createWebhookDispatcher({ allowPrivate: ctx.config.allowPrivateWebhooks });

  return async (payload, helpers) => {
    const importId = (payload as { importId?: unknown } | null)?.importId;
    if (typeof importId !== 'string') throw new Error(`${IMPORT_LIST_TASK}: payload.importId must be a string`);
    let imp = await getImport(ctx.db, importId);
    if (!imp) return;
    if (imp.status === 'PROCESSING') imp = await runImport(ctx, imp, helpers);
    if (imp.status !== 'PROCESSING') {
      await rm(importFile(ctx.config.dataDir, imp.id), { force: true });
      if (imp.webhook_status === 'PENDING') await deliverSummary(ctx, imp, dispatcher);
    }
  };
}

async function runImport(ctx: AppContext, imp: ListImportRow, helpers: JobHelpers): Promise<ListImportRow> {
  // Under a lease (lease.ts): a live worker already loading it keeps it, and will finish it.
  const lease = await holdImport(ctx, imp.id, helpers.abortSignal);
  if (lease === null) return imp;
  let release = false;
  try {
    const options = storedOptions(imp.options);
    await helpers.withPgClient((client) => loadFile(ctx, client, { ...imp, attempts: lease.claim }, options, lease.signal));
  } catch (err) {
    if (lease.lost()) {
      // Cancelled (or failed) under this claim: finish as usual. Taken over: the new run finishes.
      const now = await getImport(ctx.db, imp.id);
      if (now?.attempts === lease.claim) return now;
      ctx.log.warn({ importId: imp.id, claim: lease.claim }, 'list import taken over by another worker; this run stopped');
      return imp;
    }
    const reason = err instanceof ImportRefused ? err.message : asFileError(err)?.message ?? missingFile(err);
    if (reason !== null) {
      await failImport(ctx.db, imp.id, reason, ctx.now());
    } else if (!(err instanceof ImportCancelled)) {
      ctx.log.error({ err, importId: imp.id, attempt: helpers.job.attempts }, 'list import failed');
      // The retry (or another worker) may claim it at once.
      release = true;
      if (helpers.job.attempts < helpers.job.max_attempts) throw err;
      await failImport(ctx.db, imp.id, 'the import failed unexpectedly (see the server log); nothing was loaded', ctx.now());
    }
  } finally {
    await lease.end(release);
  }
  return (await getImport(ctx.db, imp.id)) ?? imp;
}

/** Re-queues imports whose worker died (lease.ts); runs in every worker process. */
export function startImportListRecovery(ctx: AppContext): { stop(): Promise<void> } {
  return startImportRecovery(ctx, (db, importId) =>
    addJob(db, IMPORT_LIST_TASK, { importId }, { jobKey: importJobKey(importId), maxAttempts: IMPORT_MAX_ATTEMPTS }));
}

/** The file is missing: another machine's worker took the job without sharing the data dir. */
function missingFile(err: unknown): string | null {
  if ((err as NodeJS.ErrnoException | null)?.code !== 'ENOENT') return null;
  return 'the uploaded file is not in this worker\'s data directory: API and worker processes must share ENGAGE_DATA_DIR';
}

/**
 * POSTs the summary to `webhookUrl`, signed like every Engage webhook (Standard Webhooks, the
 * workspace's secret, `msg_<jobId>` as the id on every attempt). A failed attempt is retried on the
 * webhook retry schedule by a later run of this task.
 */
async function deliverSummary(ctx: AppContext, imp: ListImportRow, dispatcher: ReturnType<typeof createWebhookDispatcher>): Promise<void> {
  if (imp.webhook_url === null) return;
  const body = JSON.stringify(importSummary(imp));
  const now = ctx.now();
  // During a secret rotation's overlap, signed with both secrets.
  const secrets = await workspaceSigningSecrets(ctx.db, imp.workspace_id, now);
  const headers = {
    ...signatureHeaders(secrets, `msg_${imp.id}`, now, body),
    'x-event-type': LIST_LOAD_EVENT,
    'x-event-origin': ctx.config.publicUrl,
  };
  const attempt = await postWebhook(imp.webhook_url, body, headers, { dispatcher, timeoutMs: ctx.config.webhookTimeoutMs, allowPrivate: ctx.config.allowPrivateWebhooks });
  const attempts = imp.webhook_attempts + 1;
  const schedule = ctx.config.webhookRetryScheduleMs;
  const error = attempt.ok ? null : (attempt.error ?? `HTTP ${attempt.status}`);
  const status = attempt.ok ? 'DELIVERED' : attempts > schedule.length ? 'FAILED' : 'PENDING';
  await ctx.db.updateTable('list_imports').set({ webhook_status: status, webhook_attempts: attempts, webhook_last_error: error }).where('id', '=', imp.id).execute();
  if (status === 'PENDING') {
    const runAt = new Date(now.getTime() + Math.max(schedule[attempts - 1]!, Math.min(attempt.retryAfterMs ?? 0, 86_400_000)));
    ctx.log.info({ importId: imp.id, attempts, error }, 'list import webhook failed; will retry');
    await addJob(ctx.db, IMPORT_LIST_TASK, { importId: imp.id }, { jobKey: importJobKey(imp.id), runAt });
  } else if (status === 'FAILED') {
    ctx.log.warn({ importId: imp.id, attempts, error }, 'list import webhook failed for good');
  }
}
