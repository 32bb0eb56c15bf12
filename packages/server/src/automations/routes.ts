/**
 * Automations over HTTP: the test console (a dry run of a campaign's rules on a sample lead and
 * message — nothing is stored or sent) and what automations did to one lead.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate } from '../auth/api-keys.ts';
import { campaignDispositions, campaignSchedule, getCampaign } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { classifyKeyword } from '../core/keywords.ts';
import { nextSendTime, type QuietHoursPolicy } from '../core/quiet-hours.ts';
import { isValidTimeZone } from '../core/schedule.ts';
import { renderTemplate } from '../core/template.ts';
import { iso } from '../core/time.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { ErrorSchema } from '../http/schemas.ts';
import type { ActionOutcome } from './actions.ts';
import { campaignAutomations, matchingRules } from './engine.ts';
import { AutomationsSchema, type AutomationRule } from './schema.ts';
import { automationStateOf } from './state.ts';
import { normaliseAutomations } from './validate.ts';

const tags = ['Automations'];
const security = [{ apiKey: [] }];
const Id = Type.String({ pattern: '^[0-9a-f]{24}$' });

const TestBodySchema = Type.Object(
  {
    message: Type.String({ maxLength: 1600, description: 'The inbound text to try.' }),
    firstReply: Type.Optional(Type.Boolean({ description: 'Whether the message starts the conversation. Default true.' })),
    lead: Type.Optional(Type.Object(
      {
        leadData: Type.Optional(Type.Record(Type.String({ maxLength: 200 }), Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean(), Type.Null()]))),
        timeZone: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
        state: Type.Optional(Type.Union([Type.String({ maxLength: 2 }), Type.Null()])),
      },
      { additionalProperties: false },
    )),
    automations: Type.Optional(AutomationsSchema),
    now: Type.Optional(Type.String({ format: 'date-time', description: 'The time to evaluate quiet hours at. Default now.' })),
  },
  { additionalProperties: false },
);
type TestBody = Static<typeof TestBodySchema>;

const OutcomeSchema = Type.Object({
  type: Type.String(), message: Type.Optional(Type.String()), sendAt: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  disposition: Type.Optional(Type.String()), doNotContact: Type.Optional(Type.Boolean()), tag: Type.Optional(Type.String()), skipped: Type.Optional(Type.String()),
});
const TestResultSchema = Type.Object({
  keyword: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  fires: Type.Array(Type.Object({ ruleId: Type.String(), name: Type.String(), index: Type.Integer(), actions: Type.Array(OutcomeSchema) })),
  timedOut: Type.Array(Type.String()),
});

export function automationRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.post<{ Params: { id: string }; Body: TestBody }>('/api/public/engage/campaigns/:id/automations/test', {
      schema: {
        tags, security, summary: 'Try the automation rules',
        description:
          'A dry run: which rules would fire for `message` from a lead with `lead.leadData`, in order, and what each would do (replies rendered, with the time they would go out under the schedule and quiet hours). ' +
          'Pass `automations` to try a draft instead of the saved rules. Nothing is stored or sent. Compliance keywords (STOP, HELP…) never reach the rules.',
        params: Type.Object({ id: Id }), body: TestBodySchema,
        response: { 200: TestResultSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const campaign = await getCampaign(ctx.db, who.workspaceId, req.params.id);
      const dispositions = campaignDispositions(campaign);
      const rules: AutomationRule[] = req.body.automations
        ? normaliseAutomations(req.body.automations, campaignAutomations(campaign), dispositions.map((d) => d.disposition))
        : campaignAutomations(campaign);
      const timeZone = req.body.lead?.timeZone ?? null;
      if (timeZone !== null && !isValidTimeZone(timeZone)) throw badRequest('lead.timeZone', 'unknown IANA time zone');
      const keyword = classifyKeyword(req.body.message);
      if (keyword === 'OPT_OUT' || keyword === 'HELP') {
        return { keyword, note: `${keyword} is a compliance keyword: it is answered by the campaign's ${keyword === 'HELP' ? 'helpMessage' : 'stopMessage'} and never reaches the rules`, fires: [], timedOut: [] };
      }
      const leadData = req.body.lead?.leadData ?? {};
      const ws = await ctx.db.selectFrom('workspaces').select('quiet_hours_policy').where('id', '=', who.workspaceId).executeTakeFirstOrThrow();
      const now = req.body.now ? new Date(req.body.now) : ctx.now();
      const sendAt = nextSendTime({ schedule: campaignSchedule(campaign), policy: ws.quiet_hours_policy as QuietHoursPolicy, timeZone, state: req.body.lead?.state ?? null, now });
      const fires: Static<typeof TestResultSchema>['fires'] = [];
      const timedOut: string[] = [];
      for (const { rule, index, timedOut: slow } of matchingRules(rules, { text: req.body.message, firstReply: req.body.firstReply ?? true })) {
        if (slow) {
          timedOut.push(rule.id);
          continue;
        }
        const actions: (ActionOutcome & { doNotContact?: boolean })[] = rule.then.map((a) => {
          if (a.type === 'REPLY') return { type: a.type, message: renderTemplate(a.message!, leadData).trim(), sendAt: sendAt ? sendAt.toISOString() : null };
          if (a.type === 'SET_DISPOSITION') return { type: a.type, disposition: a.disposition!, doNotContact: dispositions.find((d) => d.disposition === a.disposition)?.doNotContact ?? false };
          if (a.type === 'TAG') return { type: a.type, tag: a.tag! };
          return { type: a.type };
        });
        fires.push({ ruleId: rule.id, name: rule.name, index, actions });
        if (rule.then.some((a) => a.type === 'STOP' || a.type === 'HANDOFF')) break;
      }
      const note = keyword === 'OPT_IN' ? 'START/YES/UNSTOP is a keyword only for an opted-out phone; from this lead it is an ordinary reply' : null;
      return { keyword: keyword === 'OPT_IN' ? 'OPT_IN' : null, note, fires, timedOut };
    });

    app.get<{ Params: { id: string } }>('/api/public/engage/leads/:id/automation', {
      schema: {
        tags, security, summary: 'What automations did to a lead',
        description: 'Its tags, whether the conversation was handed to agents and waits for a reply, and every rule or follow-up that fired, oldest first.',
        params: Type.Object({ id: Id }),
        response: { 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const lead = await ctx.db.selectFrom('leads').select('id').where('id', '=', req.params.id).where('workspace_id', '=', who.workspaceId).executeTakeFirst();
      if (!lead) throw notFound('lead');
      const state = await automationStateOf(ctx.db, lead.id);
      const firings = await ctx.db.selectFrom('automation_firings').selectAll().where('lead_id', '=', lead.id).orderBy('fired_at').orderBy('rule_id').execute();
      return {
        ...state,
        firings: firings.map((f) => ({ ruleId: f.rule_id, cause: f.cause, messageId: f.message_id, firedAt: iso(f.fired_at), sendAt: iso(f.send_at), actions: f.actions })),
      };
    });
  };
}
