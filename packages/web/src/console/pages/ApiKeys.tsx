/** API keys: create (the key is shown once), list by hint, revoke. */
import { useState, type FormEvent } from 'react';
import { del, errorText, get, post } from '../api.ts';
import { when } from '../format.tsx';
import { usePolling } from '../router.ts';

interface Key { id: string; name: string; hint: string; created: string; revokedAt: string | null }

export function ApiKeys() {
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState('');
  const refresh = usePolling(async () => {
    try {
      setKeys((await get<{ apiKeys: Key[] }>('/api/public/engage/api-keys')).apiKeys);
    } catch (err) {
      setError(errorText(err));
    }
  }, 30_000);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      const k = await post<{ id: string; key: string }>('/api/public/engage/api-keys', { name });
      setCreated({ name, key: k.key });
      setName('');
      refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const revoke = async (k: Key) => {
    if (!confirm(`Revoke "${k.name}"? Integrations using it stop working at once.`)) return;
    try {
      await del(`/api/public/engage/api-keys/${k.id}`);
      refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <p className="muted">Integrations send a key in the <code>X-API-KEY</code> header. A key acts with the owner role.</p>
      <form className="card row" onSubmit={create} aria-label="Create an API key">
        <label>Name <input value={name} required maxLength={200} placeholder="CRM integration" onChange={(e) => setName(e.currentTarget.value)} /></label>
        <button type="submit" className="primary">Create key</button>
      </form>
      {created && (
        <div className="card created-key" role="status">
          <p><strong>{created.name}</strong>: copy this key now — it is not shown again.</p>
          <code className="secret" data-testid="new-api-key">{created.key}</code>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(created.key)}>Copy</button>
          <button type="button" className="link" onClick={() => setCreated(null)}>Done</button>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {keys && (
        <table className="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <th scope="row">{k.name}</th><td><code>{k.hint}</code></td><td>{when(k.created)}</td>
                <td>{k.revokedAt ? `Revoked ${when(k.revokedAt)}` : 'Active'}</td>
                <td>{!k.revokedAt && <button type="button" className="link" onClick={() => void revoke(k)}>Revoke<span className="sr-only"> {k.name}</span></button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
