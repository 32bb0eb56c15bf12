import { run, type Runner, type TaskList } from 'graphile-worker';
import pg from 'pg';
import { startAutomationTimers } from './automations/timers.ts';
import { startBroadcastSender } from './broadcast/sender.ts';
import type { AppContext } from './context.ts';
import { sendMessageTask } from './conversations/send-message.task.ts';
import { workerLogger } from './logger.ts';
import { importListTask, startImportListRecovery } from './leads/import/import-list.task.ts';
import { LOOKUP_LINE_TYPES_TASK, lookupLineTypesTask } from './leads/lookup-line-types.task.ts';
import { sendConversationEmailTask } from './notifications/send-conversation-email.task.ts';
import { simulatorReceiptTask } from './providers/simulator/receipt.task.ts';
import { queueRetentionJob, retentionTask } from './events/retention.task.ts';
import { deliverWebhooksTask } from './webhooks/deliver.task.ts';
import { replayWebhooksTask } from './webhooks/replay.task.ts';

/** Every background task, by name: the explicit list (no discovery, no import side effects). */
export function taskList(ctx: AppContext): TaskList {
  return {
    'send-message': sendMessageTask(ctx),
    'engage-retention': retentionTask(ctx),
    'simulator-receipt': simulatorReceiptTask(ctx),
    'import-list': importListTask(ctx),
    'send-conversation-email': sendConversationEmailTask(ctx),
    [LOOKUP_LINE_TYPES_TASK]: lookupLineTypesTask(ctx),
  };
}

/**
 * Webhook deliveries run in their own job runner with more slots (`webhookConcurrency`), so
 * receivers waiting on the network never hold up sends, imports and receipts, and one slow
 * receiver cannot take every slot (a failing endpoint gets one attempt at a time).
 */
export function webhookTaskList(ctx: AppContext): TaskList {
  return {
    'deliver-webhooks': deliverWebhooksTask(ctx),
    'replay-webhooks': replayWebhooksTask(ctx),
  };
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** Starts the job runner and the broadcast sender of one worker process. */
export async function startWorker(ctx: AppContext, pgPool: pg.Pool, connectionString: string, concurrency = 4): Promise<RunningWorker> {
  const logger = workerLogger(ctx.log);
  const runner: Runner = await run({
    pgPool,
    taskList: taskList(ctx),
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger,
  });
  // Its own small pool for the job queue's bookkeeping, sized to its slots.
  const webhookPool = new pg.Pool({ connectionString, max: ctx.config.webhookConcurrency + 1 });
  webhookPool.on('error', () => undefined);
  const webhookRunner: Runner = await run({
    pgPool: webhookPool,
    taskList: webhookTaskList(ctx),
    concurrency: ctx.config.webhookConcurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger,
  });
  await queueRetentionJob(ctx.db);
  const sender = startBroadcastSender(ctx, connectionString);
  const timers = startAutomationTimers(ctx);
  const importRecovery = startImportListRecovery(ctx);
  return {
    async stop() {
      await sender.stop();
      await timers.stop();
      await importRecovery.stop();
      await runner.stop();
      await webhookRunner.stop();
      await webhookPool.end();
    },
  };
}
