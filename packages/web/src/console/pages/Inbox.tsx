/**
 * The inbox: conversations (leads who texted back) with filters — campaign, needs reply,
 * disposition, assignee — and the open conversation in the same live thread, composer and
 * disposition picker as the widget, plus assignment to an agent.
 */
import { useEffect, useState } from 'react';
import { Widget } from '../../widget/Widget.tsx';
import { formatPhone, leadName } from '../../shared/format.ts';
import { errorText, get, put } from '../api.ts';
import { when } from '../format.tsx';
import { navigate, usePolling } from '../router.ts';
import type { Campaign, InboxConversation, Session, User } from '../types.ts';

interface Opened { leadId: string; key: string; assignee: { id: string; name: string } | null }

export function Inbox({ leadId, session }: { leadId: string | null; session: Session }) {
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [users, setUsers] = useState<User[]>([]);
  const [items, setItems] = useState<InboxConversation[] | null>(null);
  const [campaignId, setCampaignId] = useState('');
  const [needsReply, setNeedsReply] = useState(false);
  const [disposition, setDisposition] = useState('');
  const [assignee, setAssignee] = useState('');
  const [error, setError] = useState('');

  useEffect(() => {
    get<{ campaigns: Campaign[] }>('/api/public/engage/campaigns?limit=200').then((r) => setCampaigns(r.campaigns), () => undefined);
    get<{ users: User[] }>('/api/public/engage/users').then((r) => setUsers(r.users.filter((u) => !u.disabled)), () => undefined);
  }, []);

  const query = new URLSearchParams();
  if (campaignId) query.set('campaignId', campaignId);
  if (needsReply) query.set('needsReply', 'true');
  if (disposition) query.set('disposition', disposition);
  if (assignee) query.set('assignee', assignee);
  const qs = query.toString();
  usePolling(async () => {
    try {
      setItems((await get<{ conversations: InboxConversation[] }>(`/api/console/conversations${qs ? `?${qs}` : ''}`)).conversations);
      setError('');
    } catch (err) {
      setError(errorText(err));
    }
  }, 2500, [qs]);

  const dispositionNames = [...new Set((campaignId ? campaigns.filter((c) => c.id === campaignId) : campaigns).flatMap((c) => c.dispositions.map((d) => d.disposition)))];

  return (
    <section className="inbox" aria-labelledby="inbox-title">
      <div className="inbox-list">
        <h1 id="inbox-title">Inbox</h1>
        <div className="filters" role="group" aria-label="Filters">
          <label>
            Campaign
            <select value={campaignId} onChange={(e) => setCampaignId(e.currentTarget.value)}>
              <option value="">All campaigns</option>
              {campaigns.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </label>
          <label>
            Disposition
            <select value={disposition} onChange={(e) => setDisposition(e.currentTarget.value)}>
              <option value="">Any</option>
              <option value="none">None yet</option>
              {dispositionNames.map((d) => <option key={d} value={d}>{d}</option>)}
            </select>
          </label>
          <label>
            Assigned to
            <select value={assignee} onChange={(e) => setAssignee(e.currentTarget.value)}>
              <option value="">Anyone</option>
              <option value="me">Me</option>
              <option value="none">Nobody</option>
              {users.filter((u) => u.id !== session.user.id).map((u) => <option key={u.id} value={u.id}>{u.name}</option>)}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={needsReply} onChange={(e) => setNeedsReply(e.currentTarget.checked)} /> Needs reply
          </label>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {items === null ? (
          <p role="status">Loading…</p>
        ) : items.length === 0 ? (
          <p className="empty">No conversations{qs ? ' match these filters' : ' yet: they appear here when a lead replies'}.</p>
        ) : (
          <ul className="conversations" aria-label="Conversations">
            {items.map((c) => {
              const name = leadName(c.leadData);
              return (
                <li key={c.leadId}>
                  <a href={`#/inbox/${c.leadId}`} aria-current={c.leadId === leadId ? 'true' : undefined} className={c.needsReply ? 'unread' : ''} data-lead-id={c.leadId}>
                    <span className="c-head">
                      <span className="c-name">{name ?? formatPhone(c.phone)}</span>
                      <time dateTime={c.lastMessage.timestamp}>{when(c.lastMessage.timestamp)}</time>
                    </span>
                    <span className="c-last">{c.lastMessage.direction === 'OUTBOUND' ? 'You: ' : ''}{c.lastMessage.message}</span>
                    <span className="c-tags">
                      <span className="muted">{c.campaignName}</span>
                      {c.needsReply && <span className="tag tag-reply">Needs reply</span>}
                      {c.optedOut && <span className="tag tag-out">Opted out</span>}
                      {c.disposition && <span className="tag">{c.disposition}</span>}
                      {c.assignee && <span className="tag tag-agent">{c.assignee.name}</span>}
                    </span>
                  </a>
                </li>
              );
            })}
          </ul>
        )}
      </div>
      <div className="inbox-pane">
        {leadId ? <OpenConversation leadId={leadId} users={users} /> : <p className="empty center">Choose a conversation.</p>}
      </div>
    </section>
  );
}

function OpenConversation({ leadId, users }: { leadId: string; users: User[] }) {
  const [opened, setOpened] = useState<Opened | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    setOpened(null);
    setError('');
    get<Opened>(`/api/console/conversations/${leadId}`).then(setOpened, (err: unknown) => setError(errorText(err)));
  }, [leadId]);

  const assign = async (userId: string) => {
    try {
      const r = await put<{ assignee: Opened['assignee'] }>(`/api/console/conversations/${leadId}/assignee`, { userId: userId || null });
      setOpened((o) => (o ? { ...o, assignee: r.assignee } : o));
    } catch (err) {
      setError(errorText(err));
    }
  };

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!opened) return <p role="status">Opening…</p>;
  return (
    <div className="conversation">
      <div className="assign">
        <label>
          Assigned to
          <select value={opened.assignee?.id ?? ''} onChange={(e) => void assign(e.currentTarget.value)}>
            <option value="">Nobody</option>
            {users.map((u) => <option key={u.id} value={u.id}>{u.name} ({u.role})</option>)}
          </select>
        </label>
        <button type="button" className="link" onClick={() => navigate('/inbox')}>Close</button>
      </div>
      <Widget key={opened.key} conversationKey={opened.key} />
    </div>
  );
}
