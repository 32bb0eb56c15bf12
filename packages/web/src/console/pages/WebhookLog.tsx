/** The webhook delivery log: events with their deliveries; one event's payload, attempts and a replay button. */
import { useEffect, useState } from 'react';
import { errorText, get, post } from '../api.ts';
import { when } from '../format.tsx';
import { usePolling } from '../router.ts';

interface Delivery { id: number; url: string; status: string; attempts: number; lastStatus: number | null; lastError: string | null; nextAttemptAt: string | null }
interface Attempt { attemptedAt: string; requestHeaders: Record<string, string>; responseStatus: number | null; responseBodyExcerpt: string | null; durationMs: number; error: string | null }
interface EventRow { id: string; eventType: string; campaignId: string | null; leadId: string | null; created: string; deliveries: Delivery[] }
interface EventDetail extends EventRow { payload: unknown; deliveries: (Delivery & { attemptLog: Attempt[] })[] }

export function WebhookLog({ eventId }: { eventId: string | null }) {
  const [events, setEvents] = useState<EventRow[] | null>(null);
  const [status, setStatus] = useState('');
  const [eventType, setEventType] = useState('');
  const [error, setError] = useState('');
  const qs = new URLSearchParams({ limit: '100', ...(status ? { status } : {}), ...(eventType ? { eventType } : {}) }).toString();
  usePolling(async () => {
    try {
      setEvents((await get<{ events: EventRow[] }>(`/api/public/engage/events?${qs}`)).events);
      setError('');
    } catch (err) {
      setError(errorText(err));
    }
  }, 5000, [qs]);

  return (
    <section aria-labelledby="log-title" className="split">
      <div>
        <div className="page-head">
          <h1 id="log-title">Webhook log</h1>
          <label className="inline">Event
            <select value={eventType} onChange={(e) => setEventType(e.currentTarget.value)}>
              <option value="">All</option>
              {['ConversationStarted', 'NewMessage', 'Disposition', 'OptOut', 'OptIn', 'DeliveryResult'].map((t) => <option key={t}>{t}</option>)}
            </select>
          </label>
          <label className="inline">Delivery
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">Any</option><option value="PENDING">Pending</option><option value="DELIVERED">Delivered</option><option value="FAILED">Failed</option>
            </select>
          </label>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {events === null ? <p role="status">Loading…</p> : events.length === 0 ? <p className="empty">No events.</p> : (
          <table className="grid">
            <thead><tr><th scope="col">Event</th><th scope="col">When</th><th scope="col">Deliveries</th></tr></thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} aria-current={e.id === eventId ? 'true' : undefined}>
                  <th scope="row"><a href={`#/webhooks/${e.id}`}>{e.eventType}</a></th>
                  <td>{when(e.created)}</td>
                  <td>{e.deliveries.length === 0 ? <span className="muted">no webhook URL</span> : e.deliveries.map((d) => (
                    <span key={d.id} className={`tag tag-${d.status.toLowerCase()}`} title={d.url}>{d.status} · {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}{d.lastStatus ? ` · HTTP ${d.lastStatus}` : ''}</span>
                  ))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {eventId && <EventPane eventId={eventId} />}
    </section>
  );
}

function EventPane({ eventId }: { eventId: string }) {
  const [event, setEvent] = useState<EventDetail | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const load = () => get<EventDetail>(`/api/public/engage/events/${eventId}`).then(setEvent, (err: unknown) => setError(errorText(err)));
  useEffect(() => {
    setEvent(null);
    setNotice('');
    void load();
  }, [eventId]);
  const replay = async () => {
    try {
      await post(`/api/public/engage/events/${eventId}/redeliver`);
      setNotice('Queued for redelivery.');
      void load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  if (error) return <p className="error" role="alert">{error}</p>;
  if (!event) return <p role="status">Loading…</p>;
  return (
    <aside className="card detail" aria-label="Event detail">
      <div className="page-head"><h2>{event.eventType}</h2><span className="spacer" /><button type="button" onClick={replay}>Replay</button></div>
      {notice && <p className="ok" role="status">{notice}</p>}
      <p className="muted small">{event.id} · {when(event.created)}</p>
      {event.deliveries.map((d) => (
        <div key={d.id} className="delivery">
          <h3>{d.url}</h3>
          <p className="small">{d.status} · {d.attempts} attempts{d.nextAttemptAt ? ` · next ${when(d.nextAttemptAt)}` : ''}{d.lastError ? ` · ${d.lastError}` : ''}</p>
          <table className="grid small">
            <thead><tr><th scope="col">Attempt</th><th scope="col">Response</th><th scope="col">Time</th><th scope="col">Body</th></tr></thead>
            <tbody>
              {d.attemptLog.map((a, i) => (
                <tr key={i}><td>{when(a.attemptedAt)}</td><td>{a.responseStatus ?? a.error ?? '—'}</td><td>{a.durationMs} ms</td><td><code className="clip">{a.responseBodyExcerpt ?? ''}</code></td></tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      <h3>Payload</h3>
      <pre className="payload">{JSON.stringify(event.payload, null, 2)}</pre>
    </aside>
  );
}
