/**
 * Create or edit a campaign: name and sender source, the five messages (token picker, segment
 * counter, live preview against a sample lead), the schedule grid, dispositions, automations and
 * follow-ups (../automations.tsx), webhooks, and the lifecycle buttons (submit, approve, activate,
 * pause, complete).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { errorText, get, patch, post } from '../api.ts';
import { AutomationsSection, fieldErrorOf, followUpsDraftOf, followUpsToApi, rulesDraftOf, rulesToApi, type AutomationFields, type FieldError, type FollowUpDraft, type RuleDraft } from '../automations.tsx';
import { StatusBadge } from '../format.tsx';
import { navigate } from '../router.ts';
import { DAYS, type Campaign, type Disposition, type ListSummary, type MessageKey, type Schedule, type SenderSource, type WebhookKey } from '../types.ts';
import { MessageField } from './MessageField.tsx';
import { ScheduleGrid } from './ScheduleGrid.tsx';

const MESSAGES: { key: MessageKey; label: string; hint: string }[] = [
  { key: 'outgoingMessage', label: 'Broadcast message', hint: 'Texted to every lead of the campaign.' },
  { key: 'responseMessage', label: 'Automatic response', hint: "Sent once after a lead's first reply. Empty = off." },
  { key: 'helpMessage', label: 'HELP answer', hint: 'Answers HELP / INFO.' },
  { key: 'stopMessage', label: 'Opt-out confirmation', hint: 'Sent once when a lead texts STOP.' },
  { key: 'startMessage', label: 'Opt-in confirmation', hint: 'Sent when an opted-out lead texts START.' },
];
const WEBHOOKS: { key: WebhookKey; label: string }[] = [
  { key: 'conversationStarted', label: 'ConversationStarted' },
  { key: 'incomingMessage', label: 'NewMessage' },
  { key: 'disposition', label: 'Disposition' },
  { key: 'optOut', label: 'OptOut' },
  { key: 'optIn', label: 'OptIn' },
  { key: 'deliveryResult', label: 'DeliveryResult' },
];
const DEFAULT_SAMPLE = { FirstName: 'Ada', LastName: 'Lovelace', Phone: '+12125550123' };

interface Draft {
  name: string;
  senderSourceId: string | null;
  messages: Record<MessageKey, string>;
  schedule: Schedule;
  dispositions: Disposition[];
  webhooks: Record<WebhookKey, string>;
  automations: RuleDraft[];
  followUps: FollowUpDraft[];
}

function draftOf(c: (Campaign & AutomationFields) | null): Draft {
  const empty = Object.fromEntries(DAYS.map((d) => [d, [{ start: 540, end: 1200 }]])) as unknown as Schedule;
  return {
    name: c?.name ?? '',
    senderSourceId: c?.senderSourceId ?? null,
    messages: { outgoingMessage: '', responseMessage: '', helpMessage: '', stopMessage: '', startMessage: '', ...(c?.messages ?? {}) },
    schedule: c?.schedule ?? empty,
    dispositions: c?.dispositions ?? [{ disposition: 'Interested', success: true, doNotContact: false }, { disposition: 'Not interested', success: false, doNotContact: false }],
    webhooks: Object.fromEntries(WEBHOOKS.map((w) => [w.key, c?.webhooks?.[w.key] ?? ''])) as Record<WebhookKey, string>,
    automations: rulesDraftOf(c?.automations),
    followUps: followUpsDraftOf(c?.followUps),
  };
}

export function CampaignEditor({ campaignId }: { campaignId: string | null }) {
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [draft, setDraft] = useState<Draft>(draftOf(null));
  const [sources, setSources] = useState<SenderSource[]>([]);
  const [sample, setSample] = useState<Record<string, unknown>>(DEFAULT_SAMPLE);
  const [error, setError] = useState('');
  const [fieldError, setFieldError] = useState<FieldError | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<{ senderSources: SenderSource[] }>('/api/public/engage/sender-sources').then((r) => setSources(r.senderSources), () => setSources([]));
    if (!campaignId) {
      setCampaign(null);
      setDraft(draftOf(null));
      return;
    }
    get<Campaign>(`/api/public/engage/campaigns/${campaignId}`).then(
      (c) => {
        setCampaign(c);
        setDraft(draftOf(c));
      },
      (err: unknown) => setError(errorText(err)),
    );
    // The preview uses a real lead of the campaign when there is one.
    get<{ lists: ListSummary[] }>(`/api/public/engage/campaigns/${campaignId}/lists`)
      .then(async (r) => {
        const list = r.lists.find((l) => l.leads > 0);
        if (!list) return;
        const leads = await get<{ leads: { leadData: Record<string, unknown> }[] }>(`/api/public/engage/lists/${list.id}/leads?limit=1`);
        if (leads.leads[0]) setSample(leads.leads[0].leadData);
      })
      .catch(() => undefined);
  }, [campaignId]);

  const active = campaign?.campaignStatus === 'ACTIVE';
  const locked = active || campaign?.campaignStatus === 'COMPLETED';
  const tokens = [...new Set([...Object.keys(sample), ...(campaign?.customFields ?? []).map((f) => f.name)])];
  const up = (p: Partial<Draft>) => setDraft((d) => ({ ...d, ...p }));

  const save = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError('');
    setFieldError(null);
    setNotice('');
    try {
      const body = active
        ? { name: draft.name }
        : {
            name: draft.name,
            ...(draft.senderSourceId ? { senderSourceId: draft.senderSourceId } : {}),
            messages: draft.messages,
            schedule: draft.schedule,
            dispositions: draft.dispositions.map((d) => ({ ...(d.id ? { id: d.id } : {}), disposition: d.disposition, success: d.success, doNotContact: d.doNotContact })),
            webhooks: Object.fromEntries(WEBHOOKS.map((w) => [w.key, draft.webhooks[w.key].trim() || null])),
            automations: rulesToApi(draft.automations),
            followUps: followUpsToApi(draft.followUps),
          };
      const saved = campaign ? await patch<Campaign>(`/api/public/engage/campaigns/${campaign.id}`, body) : await post<Campaign>('/api/public/engage/campaigns', body);
      setCampaign(saved);
      setDraft(draftOf(saved));
      setNotice('Saved.');
      if (!campaign) navigate(`/campaigns/${saved.id}`);
    } catch (err) {
      setError(errorText(err));
      setFieldError(fieldErrorOf(err));
    } finally {
      setBusy(false);
    }
  };

  const act = async (action: string) => {
    if (!campaign) return;
    setBusy(true);
    setError('');
    setNotice('');
    try {
      const c = await post<Campaign>(`/api/public/engage/campaigns/${campaign.id}/${action}`);
      setCampaign(c);
      setDraft(draftOf(c));
      setNotice(`Campaign is ${c.campaignStatus.replace(/_/g, ' ').toLowerCase()}.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const status = campaign?.campaignStatus;
  const actions: [string, string][] = [];
  if (status === 'DRAFT') actions.push(['submit', 'Submit for approval'], ['approve', 'Approve']);
  if (status === 'PENDING_APPROVAL') actions.push(['approve', 'Approve']);
  if (status === 'READY' || status === 'PAUSED') actions.push(['activate', 'Activate']);
  if (status === 'ACTIVE') actions.push(['pause', 'Pause']);
  if (status === 'ACTIVE' || status === 'PAUSED' || status === 'READY') actions.push(['complete', 'Complete']);

  return (
    <form className="editor" onSubmit={save} aria-labelledby="editor-title">
      <div className="page-head">
        <h1 id="editor-title">{campaign ? campaign.name : 'New campaign'}</h1>
        {campaign && <StatusBadge status={campaign.campaignStatus} />}
        <span className="spacer" />
        {campaign && <a href={`#/campaigns/${campaign.id}/dashboard`}>Dashboard</a>}
        {campaign && <a href={`#/campaigns/${campaign.id}/lists`}>Lists</a>}
      </div>
      {campaign && <p className="muted">{campaign.sendingStatusDescription}</p>}
      {active && <p className="note">While the campaign is active only its name can change. Pause it to edit the rest.</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {notice && <p className="ok" role="status">{notice}</p>}

      <fieldset className="card">
        <legend>Campaign</legend>
        <label>
          Name
          <input name="name" required maxLength={200} value={draft.name} onChange={(e) => up({ name: e.currentTarget.value })} />
        </label>
        <label>
          Sender source
          <select value={draft.senderSourceId ?? ''} disabled={locked} onChange={(e) => up({ senderSourceId: e.currentTarget.value || null })}>
            <option value="">Workspace default</option>
            {sources.map((s) => <option key={s.id} value={s.id}>{s.name} ({s.senderSourceType}, {s.numbers.length} numbers)</option>)}
          </select>
        </label>
      </fieldset>

      <fieldset className="card">
        <legend>Messages</legend>
        <p className="muted small">
          Sample lead for the preview: {Object.entries(sample).slice(0, 6).map(([k, v]) => `${k}=${String(v ?? '')}`).join(', ')}
        </p>
        {MESSAGES.map((m) => (
          <MessageField
            key={m.key} id={`msg-${m.key}`} label={m.label} hint={m.hint} value={draft.messages[m.key]} tokens={tokens} sample={sample} disabled={locked}
            onChange={(v) => setDraft((d) => ({ ...d, messages: { ...d.messages, [m.key]: v } }))}
          />
        ))}
      </fieldset>

      <fieldset className="card">
        <legend>Schedule</legend>
        <p className="muted small">Hours in each lead's own time zone. A day with no hours sends nothing.</p>
        <ScheduleGrid schedule={draft.schedule} disabled={locked} onChange={(schedule) => up({ schedule })} />
      </fieldset>

      <fieldset className="card">
        <legend>Dispositions</legend>
        <table className="grid dispositions">
          <thead><tr><th scope="col">Name</th><th scope="col">Success</th><th scope="col">Do not contact</th><th scope="col"><span className="sr-only">Remove</span></th></tr></thead>
          <tbody>
            {draft.dispositions.map((d, i) => {
              const change = (p: Partial<Disposition>) => up({ dispositions: draft.dispositions.map((x, j) => (j === i ? { ...x, ...p } : x)) });
              return (
                <tr key={d.id ?? `new-${i}`}>
                  <td><input aria-label={`Disposition ${i + 1} name`} value={d.disposition} disabled={locked} maxLength={100} onChange={(e) => change({ disposition: e.currentTarget.value })} /></td>
                  <td><input type="checkbox" aria-label={`${d.disposition || 'Disposition'} is a success`} checked={d.success} disabled={locked} onChange={(e) => change({ success: e.currentTarget.checked })} /></td>
                  <td><input type="checkbox" aria-label={`${d.disposition || 'Disposition'} means do not contact`} checked={d.doNotContact} disabled={locked} onChange={(e) => change({ doNotContact: e.currentTarget.checked })} /></td>
                  <td><button type="button" className="link" disabled={locked} onClick={() => up({ dispositions: draft.dispositions.filter((_, j) => j !== i) })}>Remove<span className="sr-only"> {d.disposition}</span></button></td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <button type="button" disabled={locked} onClick={() => up({ dispositions: [...draft.dispositions, { disposition: '', success: false, doNotContact: false }] })}>Add disposition</button>
      </fieldset>

      <AutomationsSection
        campaignId={campaign?.id ?? null} rules={draft.automations} followUps={draft.followUps}
        dispositions={draft.dispositions.map((d) => d.disposition.trim()).filter(Boolean)} tokens={tokens} sample={sample}
        locked={locked} active={active} fieldError={fieldError}
        onRules={(fn) => setDraft((d) => ({ ...d, automations: fn(d.automations) }))}
        onFollowUps={(fn) => setDraft((d) => ({ ...d, followUps: fn(d.followUps) }))}
      />

      <fieldset className="card">
        <legend>Webhooks</legend>
        <p className="muted small">Where each event is POSTed (signed with the workspace's secret). Empty = not sent.</p>
        {WEBHOOKS.map((w) => (
          <label key={w.key}>
            {w.label}
            <input type="url" placeholder="https://crm.example.com/engage" value={draft.webhooks[w.key]} disabled={locked}
              onChange={(e) => { const v = e.currentTarget.value; setDraft((d) => ({ ...d, webhooks: { ...d.webhooks, [w.key]: v } })); }} />
          </label>
        ))}
      </fieldset>

      <div className="actions-bar">
        <button type="submit" className="primary" disabled={busy}>{campaign ? 'Save' : 'Create campaign'}</button>
        {actions.map(([a, label]) => (
          <button key={a} type="button" disabled={busy} onClick={() => act(a)}>{label}</button>
        ))}
      </div>
    </form>
  );
}
