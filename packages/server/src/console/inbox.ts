/**
 * The console inbox: leads who texted back, newest activity first, with filters, and which
 * agent answers each (conversation assignment).
 */
import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { iso } from '../core/time.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { conversationKeyFor } from '../conversations/keys.ts';
import { endpointsFor, type Endpoints } from '../events/payload.ts';
import { badRequest, notFound } from '../http/errors.ts';

export interface InboxFilter {
  campaignId?: string;
  /** Only conversations whose newest inbound message no agent answered yet (and not closed or opted out). */
  needsReply?: boolean;
  /** A disposition name, or `none` for conversations without one. */
  disposition?: string;
  /** `me`, `none`, or a user id. */
  assignee?: string;
  limit: number;
  offset: number;
}

export interface InboxConversation {
  leadId: string;
  campaignId: string;
  campaignName: string;
  phone: string;
  leadData: Record<string, unknown>;
  lastMessage: { direction: 'INBOUND' | 'OUTBOUND'; message: string; timestamp: string };
  lastInboundAt: string;
  needsReply: boolean;
  disposition: string | null;
  optedOut: boolean;
  assignee: { id: string; name: string } | null;
}

interface Row {
  id: string; campaign_id: string; campaign_name: string; phone: string; lead_data: Record<string, unknown>;
  disposition: string | null; last_direction: 'INBOUND' | 'OUTBOUND'; last_body: string; last_at: Date;
  last_inbound: Date; needs_reply: boolean; opted_out: boolean; user_id: number | null; user_name: string | null;
}

export async function listConversations(db: DbOrTrx, workspaceId: number, userId: number | null, f: InboxFilter): Promise<InboxConversation[]> {
  const where = [sql`l.workspace_id = ${workspaceId}`];
  if (f.campaignId) where.push(sql`l.campaign_id = ${f.campaignId}`);
  if (f.disposition === 'none') where.push(sql`l.disposition IS NULL`);
  else if (f.disposition) where.push(sql`l.disposition = ${f.disposition}`);
  if (f.assignee === 'none') where.push(sql`a.user_id IS NULL`);
  else if (f.assignee === 'me') {
    if (userId === null) throw badRequest('assignee', '"me" needs a console session, not an API key');
    where.push(sql`a.user_id = ${userId}`);
  } else if (f.assignee) {
    if (!/^[0-9]{1,15}$/.test(f.assignee)) throw badRequest('assignee', 'must be me, none or a user id');
    where.push(sql`a.user_id = ${Number(f.assignee)}`);
  }
  const needs = sql`(t.last_inbound > coalesce(t.last_agent, '-infinity') AND l.disposition IS NULL AND s.phone IS NULL)`;
  if (f.needsReply === true) where.push(needs);
  if (f.needsReply === false) where.push(sql`NOT ${needs}`);
  const rows = await sql<Row>`
    SELECT l.id, l.campaign_id, c.name AS campaign_name, l.phone, l.lead_data, l.disposition,
           last.direction AS last_direction, last.body AS last_body, last.created AS last_at,
           t.last_inbound, ${needs} AS needs_reply, (s.phone IS NOT NULL) AS opted_out,
           a.user_id, u.name AS user_name
    FROM (
      SELECT lead_id,
             max(created) FILTER (WHERE direction = 'INBOUND') AS last_inbound,
             max(created) FILTER (WHERE direction = 'OUTBOUND' AND kind = 'AGENT') AS last_agent
      FROM messages WHERE workspace_id = ${workspaceId} AND lead_id IS NOT NULL
      GROUP BY lead_id HAVING bool_or(direction = 'INBOUND')
    ) t
    JOIN leads l ON l.id = t.lead_id
    JOIN campaigns c ON c.id = l.campaign_id
    JOIN LATERAL (SELECT direction, body, created FROM messages m WHERE m.lead_id = l.id ORDER BY m.created DESC, m.id DESC LIMIT 1) last ON true
    LEFT JOIN LATERAL (SELECT phone FROM suppressions WHERE workspace_id = l.workspace_id AND phone = l.phone LIMIT 1) s ON true
    LEFT JOIN conversation_assignments a ON a.lead_id = l.id
    LEFT JOIN users u ON u.id = a.user_id
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY last.created DESC, l.id DESC
    LIMIT ${f.limit} OFFSET ${f.offset}`.execute(db);
  return rows.rows.map((r) => ({
    leadId: r.id,
    campaignId: r.campaign_id,
    campaignName: r.campaign_name,
    phone: r.phone,
    leadData: r.lead_data,
    lastMessage: { direction: r.last_direction, message: r.last_body, timestamp: iso(r.last_at) },
    lastInboundAt: iso(r.last_inbound),
    needsReply: r.needs_reply,
    disposition: r.disposition,
    optedOut: r.opted_out,
    assignee: r.user_id === null ? null : { id: String(r.user_id), name: r.user_name ?? '' },
  }));
}

/**
 * Opens one conversation for the console: its conversation key (so the console uses the same
 * endpoints and live stream as the widget) and who is assigned.
 */
export async function openConversation(ctx: AppContext, workspaceId: number, leadId: string): Promise<{ leadId: string; key: string; endpoints: Endpoints; assignee: { id: string; name: string } | null }> {
  const lead = await ctx.db.selectFrom('leads').select(['id', 'conversation_key_version']).where('id', '=', leadId).where('workspace_id', '=', workspaceId).executeTakeFirst();
  if (!lead) throw notFound('conversation');
  const key = await conversationKeyFor(ctx, ctx.db, lead);
  const a = await ctx.db
    .selectFrom('conversation_assignments')
    .innerJoin('users', 'users.id', 'conversation_assignments.user_id')
    .select(['users.id', 'users.name'])
    .where('lead_id', '=', leadId)
    .executeTakeFirst();
  return { leadId, key, endpoints: endpointsFor(ctx.config.publicUrl, key), assignee: a ? { id: String(a.id), name: a.name } : null };
}

/** Assigns the conversation to a user of the same workspace, or unassigns it (`userId` null). */
export async function assignConversation(ctx: AppContext, workspaceId: number, leadId: string, userId: string | null, by: number | null): Promise<{ id: string; name: string } | null> {
  return ctx.db.transaction().execute(async (trx) => {
    const lead = await trx.selectFrom('leads').select('id').where('id', '=', leadId).where('workspace_id', '=', workspaceId).executeTakeFirst();
    if (!lead) throw notFound('conversation');
    if (userId === null) {
      await trx.deleteFrom('conversation_assignments').where('lead_id', '=', leadId).execute();
      return null;
    }
    const user = /^[0-9]{1,15}$/.test(userId)
      ? await trx.selectFrom('users').select(['id', 'name']).where('id', '=', Number(userId)).where('workspace_id', '=', workspaceId).where('disabled_at', 'is', null).executeTakeFirst()
      : undefined;
    if (!user) throw badRequest('userId', 'no active user with this id in the workspace');
    await trx
      .insertInto('conversation_assignments')
      .values({ lead_id: leadId, user_id: user.id, assigned_by: by, assigned_at: ctx.now() })
      .onConflict((oc) => oc.column('lead_id').doUpdateSet({ user_id: user.id, assigned_by: by, assigned_at: ctx.now() }))
      .execute();
    return { id: String(user.id), name: user.name };
  });
}
