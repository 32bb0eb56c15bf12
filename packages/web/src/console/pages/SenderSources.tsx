/** Sender sources and their number pools: list, create, edit the pool, delete. */
import { useState, type FormEvent } from 'react';
import { del, errorText, get, patch, post } from '../api.ts';
import { usePolling } from '../router.ts';
import type { SenderSource } from '../types.ts';

const TYPES = ['TEN_DLC', 'TOLL_FREE', 'SHORT_CODE', 'CORE_CAMPAIGN'];
const numbersOf = (text: string) => text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);

export function SenderSources() {
  const [sources, setSources] = useState<SenderSource[] | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [form, setForm] = useState({ name: '', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: '', areaCodeMatch: false });
  const [editing, setEditing] = useState<{ id: string; numbers: string } | null>(null);
  const refresh = usePolling(async () => {
    try {
      setSources((await get<{ senderSources: SenderSource[] }>('/api/public/engage/sender-sources')).senderSources);
    } catch (err) {
      setError(errorText(err));
    }
  }, 30_000);

  const run = async (fn: () => Promise<unknown>, ok: string) => {
    setError('');
    setNotice('');
    try {
      await fn();
      setNotice(ok);
      refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(() => post('/api/public/engage/sender-sources', { ...form, numbers: numbersOf(form.numbers) }), `${form.name} created.`).then(() =>
      setForm((f) => ({ ...f, name: '', numbers: '' })),
    );
  };

  return (
    <section aria-labelledby="sources-title">
      <h1 id="sources-title">Sender sources</h1>
      <p className="muted">Where texts come from: a provider and a pool of numbers. Each lead keeps the number it was first texted from.</p>
      {error && <p className="error" role="alert">{error}</p>}
      {notice && <p className="ok" role="status">{notice}</p>}
      {sources && (
        <table className="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Provider</th><th scope="col">Numbers</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {sources.map((s) => (
              <tr key={s.id}>
                <th scope="row">{s.name}</th><td>{s.senderSourceType}</td><td>{s.provider}</td>
                <td>
                  {editing?.id === s.id ? (
                    <form onSubmit={(e) => { e.preventDefault(); void run(() => patch(`/api/public/engage/sender-sources/${s.id}`, { numbers: numbersOf(editing.numbers) }), 'Numbers saved.').then(() => setEditing(null)); }}>
                      <textarea aria-label={`Numbers of ${s.name}`} rows={3} value={editing.numbers} onChange={(e) => setEditing({ id: s.id, numbers: e.currentTarget.value })} />
                      <button type="submit">Save numbers</button>
                    </form>
                  ) : (
                    <span>{s.numbers.join(', ')}</span>
                  )}
                </td>
                <td className="actions">
                  <button type="button" className="link" onClick={() => setEditing({ id: s.id, numbers: s.numbers.join('\n') })}>Edit numbers<span className="sr-only"> of {s.name}</span></button>
                  <button type="button" className="link" onClick={() => { if (confirm(`Delete ${s.name}?`)) void run(() => del(`/api/public/engage/sender-sources/${s.id}`), `${s.name} deleted.`); }}>Delete<span className="sr-only"> {s.name}</span></button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="card" onSubmit={create} aria-labelledby="new-source-title">
        <h2 id="new-source-title">New sender source</h2>
        <div className="row">
          <label>Name <input required maxLength={200} value={form.name} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, name: v })); }} /></label>
          <label>Type
            <select value={form.senderSourceType} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, senderSourceType: v })); }}>{TYPES.map((t) => <option key={t}>{t}</option>)}</select>
          </label>
          <label>Provider <input required value={form.provider} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, provider: v })); }} /></label>
          <label className="check"><input type="checkbox" checked={form.areaCodeMatch} onChange={(e) => { const v = e.currentTarget.checked; setForm((f) => ({ ...f, areaCodeMatch: v })); }} /> Match the lead's area code</label>
        </div>
        <label>Numbers (one per line) <textarea rows={3} required value={form.numbers} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, numbers: v })); }} /></label>
        <button type="submit" className="primary">Create sender source</button>
      </form>
    </section>
  );
}
