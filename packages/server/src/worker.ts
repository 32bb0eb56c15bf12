import { run, type Runner, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import { startBroadcastSender } from './broadcast/sender.ts';
import type { AppContext } from './context.ts';
import { sendMessageTask } from './conversations/send-message.task.ts';
import { quietWorkerLogger } from './db/migrate.ts';
import { importListTask } from './leads/import/import-list.task.ts';
import { simulatorReceiptTask } from './providers/simulator/receipt.task.ts';
import { deliverWebhooksTask } from './webhooks/deliver.task.ts';

/** Every background task, by name: the explicit list (no discovery, no import side effects). */
export function taskList(ctx: AppContext): TaskList {
  return {
    'send-message': sendMessageTask(ctx),
    'deliver-webhooks': deliverWebhooksTask(ctx),
    'simulator-receipt': simulatorReceiptTask(ctx),
    'import-list': importListTask(ctx),
  };
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** Starts the job runner and the broadcast sender of one worker process. */
export async function startWorker(ctx: AppContext, pgPool: pg.Pool, connectionString: string, concurrency = 4): Promise<RunningWorker> {
  const runner: Runner = await run({
    pgPool,
    taskList: taskList(ctx),
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: quietWorkerLogger,
  });
  const sender = startBroadcastSender(ctx, connectionString);
  return {
    async stop() {
      await sender.stop();
      await runner.stop();
    },
  };
}
