/**
 * Endpoint health: each receiver URL of a campaign has a record of its current run of failures.
 *
 * - A failing endpoint gets one attempt at a time (a lease), so a slow or dead receiver holds at
 *   most one worker slot and never delays deliveries to other receivers.
 * - `410 Gone`, or only failures for `webhookDisableAfterMs` (default 5 days), disables the URL for
 *   the campaign: its pending deliveries fail, later events are logged but not sent, and an
 *   `EndpointDisabled` event (visible in the events API) plus a warning log tell the operator.
 */
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import { iso } from '../core/time.ts';
import type { DbOrTrx } from '../db/pool.ts';

export interface EndpointRef {
  campaignId: string;
  workspaceId: number;
  url: string;
}

/** Whether this URL is disabled for the campaign (its deliveries are not attempted). */
export async function endpointDisabled(db: DbOrTrx, campaignId: string, url: string): Promise<{ reason: string | null } | null> {
  const row = await db.selectFrom('webhook_endpoints').select(['disabled_at', 'disabled_reason']).where('campaign_id', '=', campaignId).where('url', '=', url).executeTakeFirst();
  return row?.disabled_at ? { reason: row.disabled_reason } : null;
}

/**
 * May an attempt go to this endpoint now? Healthy endpoints: always. Failing ones: only the holder
 * of the lease (which expires after `leaseMs`, so a crashed worker's lease frees itself), and not
 * while `busyHere`: this process has another attempt to it in flight, one that started while the
 * endpoint was still healthy and so holds no lease. `leased` says whether this attempt holds the
 * lease (and must release it when it settles).
 */
export async function acquireAttemptSlot(ctx: AppContext, ref: EndpointRef, leaseMs: number, busyHere: boolean): Promise<{ ok: true; leased: boolean } | { ok: false; at: Date }> {
  const now = ctx.now();
  const row = await ctx.db.selectFrom('webhook_endpoints').select(['first_failure_at', 'attempt_lease_until']).where('campaign_id', '=', ref.campaignId).where('url', '=', ref.url).executeTakeFirst();
  if (!row || row.first_failure_at === null) return { ok: true, leased: false };
  // The holder usually settles long before its lease runs out (a refused connection takes
  // milliseconds): look again in about a second, or when the lease expires if sooner.
  const soon = new Date(now.getTime() + 1000 + Math.floor(Math.random() * 500));
  if (busyHere) return { ok: false, at: soon };
  const until = new Date(now.getTime() + leaseMs);
  const taken = await ctx.db
    .updateTable('webhook_endpoints')
    .set({ attempt_lease_until: until })
    .where('campaign_id', '=', ref.campaignId)
    .where('url', '=', ref.url)
    .where((eb) => eb.or([eb('attempt_lease_until', 'is', null), eb('attempt_lease_until', '<=', now)]))
    .returning('url')
    .executeTakeFirst();
  if (taken) return { ok: true, leased: true };
  const expires = row.attempt_lease_until ?? until;
  return { ok: false, at: expires < soon ? expires : soon };
}

/** Records a 2xx: the endpoint is healthy again. */
export async function recordSuccess(ctx: AppContext, ref: EndpointRef, leased: boolean): Promise<void> {
  const now = ctx.now();
  await ctx.db
    .insertInto('webhook_endpoints')
    .values({ campaign_id: ref.campaignId, url: ref.url, workspace_id: ref.workspaceId, last_success_at: now })
    .onConflict((oc) => oc.columns(['campaign_id', 'url']).doUpdateSet({ first_failure_at: null, consecutive_failures: 0, last_success_at: now, ...(leased ? { attempt_lease_until: null } : {}) }))
    .execute();
}

/** Records a failed attempt; disables the endpoint on 410 or after a long enough run of failures. Returns whether it is now disabled. */
export async function recordFailure(ctx: AppContext, ref: EndpointRef, leased: boolean, status: number | null, error: string): Promise<boolean> {
  const now = ctx.now();
  const row = await ctx.db
    .insertInto('webhook_endpoints')
    .values({ campaign_id: ref.campaignId, url: ref.url, workspace_id: ref.workspaceId, first_failure_at: now, consecutive_failures: 1 })
    .onConflict((oc) =>
      oc.columns(['campaign_id', 'url']).doUpdateSet((eb) => ({
        first_failure_at: eb.fn.coalesce('webhook_endpoints.first_failure_at', eb.val(now)),
        consecutive_failures: eb('webhook_endpoints.consecutive_failures', '+', 1),
        // Only the lease holder frees the lease: an attempt that started while the endpoint was
        // healthy must not let a second one in beside the holder's.
        ...(leased ? { attempt_lease_until: null } : {}),
      })),
    )
    .returning(['first_failure_at', 'consecutive_failures', 'disabled_at'])
    .executeTakeFirstOrThrow();
  if (row.disabled_at) return true;
  let reason: string | null = null;
  if (status === 410) reason = 'the receiver answered 410 Gone';
  else if (row.first_failure_at && now.getTime() - row.first_failure_at.getTime() >= ctx.config.webhookDisableAfterMs) {
    reason = `only failures since ${iso(row.first_failure_at)} (${row.consecutive_failures} attempts; last: ${error.slice(0, 200)})`;
  }
  if (reason === null) return false;
  await disableEndpoint(ctx, ref, reason);
  return true;
}

/** Disables the URL for the campaign, fails its pending deliveries and tells the operator. */
export async function disableEndpoint(ctx: AppContext, ref: EndpointRef, reason: string): Promise<void> {
  const now = ctx.now();
  await ctx.db.transaction().execute(async (trx) => {
    const changed = await trx
      .updateTable('webhook_endpoints')
      .set({ disabled_at: now, disabled_reason: reason, attempt_lease_until: null })
      .where('campaign_id', '=', ref.campaignId)
      .where('url', '=', ref.url)
      .where('disabled_at', 'is', null)
      .returning('url')
      .executeTakeFirst();
    if (!changed) return;
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'FAILED', last_error: `endpoint disabled: ${reason}`.slice(0, 500), finished: now })
      .where('status', '=', 'PENDING')
      .where('url', '=', ref.url)
      .where('event_id', 'in', (eb) => eb.selectFrom('events').select('id').where('campaign_id', '=', ref.campaignId))
      .execute();
    const data = { campaignId: ref.campaignId, url: ref.url, reason, disabledAt: iso(now) };
    await trx
      .insertInto('events')
      .values({ id: newId(now), workspace_id: ref.workspaceId, campaign_id: ref.campaignId, lead_id: null, event_type: 'EndpointDisabled', payload: JSON.stringify({ eventType: 'EndpointDisabled', data }), created: now })
      .execute();
  });
  ctx.log.warn({ campaignId: ref.campaignId, url: ref.url, reason }, 'webhook endpoint disabled');
}

/** Enables a disabled URL again (its failure history starts over). True when it was disabled. */
export async function enableEndpoint(db: DbOrTrx, workspaceId: number, campaignId: string, url: string): Promise<boolean> {
  const r = await db
    .updateTable('webhook_endpoints')
    .set({ disabled_at: null, disabled_reason: null, first_failure_at: null, consecutive_failures: 0, attempt_lease_until: null })
    .where('workspace_id', '=', workspaceId)
    .where('campaign_id', '=', campaignId)
    .where('url', '=', url)
    .where('disabled_at', 'is not', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
