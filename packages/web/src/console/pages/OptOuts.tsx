/** The workspace's opt-out and do-not-contact list: search, add, remove. */
import { useState, type FormEvent } from 'react';
import { ApiError, del, errorText, get, post } from '../api.ts';
import { when } from '../format.tsx';
import { usePolling } from '../router.ts';

interface Suppression { phone: string; kind: 'OPT_OUT' | 'DNC'; source: string; created: string }

export function OptOuts() {
  const [items, setItems] = useState<Suppression[] | null>(null);
  const [search, setSearch] = useState('');
  const [phone, setPhone] = useState('');
  const [kind, setKind] = useState<'OPT_OUT' | 'DNC'>('DNC');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const qs = new URLSearchParams({ limit: '200', ...(search.trim() ? { phone: search.trim() } : {}) }).toString();
  const refresh = usePolling(async () => {
    try {
      setItems((await get<{ suppressions: Suppression[] }>(`/api/public/engage/suppressions?${qs}`)).suppressions);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 400)) setError(errorText(err));
    }
  }, 10_000, [qs]);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      await post('/api/public/engage/suppressions', { phone, kind });
      setNotice(`${phone} added.`);
      setPhone('');
      refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const remove = async (s: Suppression) => {
    if (!confirm(`Allow texting ${s.phone} again?`)) return;
    try {
      await del(`/api/public/engage/suppressions/${encodeURIComponent(s.phone)}?kind=${s.kind}`);
      setNotice(`${s.phone} removed.`);
      refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section aria-labelledby="optouts-title">
      <h1 id="optouts-title">Opt-outs and do-not-contact</h1>
      <form className="card row" onSubmit={add} aria-label="Add a number">
        <label>Phone <input value={phone} required maxLength={40} placeholder="+15555551212" onChange={(e) => setPhone(e.currentTarget.value)} /></label>
        <label>Kind
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as 'OPT_OUT' | 'DNC')}><option value="DNC">Do not contact</option><option value="OPT_OUT">Opted out</option></select>
        </label>
        <button type="submit" className="primary">Add</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {notice && <p className="ok" role="status">{notice}</p>}
      <label className="inline">Search <input type="search" value={search} placeholder="Phone number" onChange={(e) => setSearch(e.currentTarget.value)} /></label>
      {items === null ? <p role="status">Loading…</p> : items.length === 0 ? <p className="empty">No numbers.</p> : (
        <table className="grid">
          <thead><tr><th scope="col">Phone</th><th scope="col">Kind</th><th scope="col">Source</th><th scope="col">Since</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {items.map((s) => (
              <tr key={`${s.phone}-${s.kind}`}>
                <th scope="row">{s.phone}</th><td>{s.kind === 'DNC' ? 'Do not contact' : 'Opted out'}</td><td>{s.source}</td><td>{when(s.created)}</td>
                <td><button type="button" className="link" onClick={() => void remove(s)}>Remove<span className="sr-only"> {s.phone}</span></button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
