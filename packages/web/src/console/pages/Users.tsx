/** Console users: invite (with a first password), change role, disable, delete. */
import { useState, type FormEvent } from 'react';
import { del, errorText, get, patch, post } from '../api.ts';
import { when } from '../format.tsx';
import { usePolling } from '../router.ts';
import type { Role, Session, User } from '../types.ts';

export function Users({ session }: { session: Session }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [form, setForm] = useState({ email: '', name: '', role: 'agent' as Role, password: '' });
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const refresh = usePolling(async () => {
    setUsers((await get<{ users: User[] }>('/api/public/engage/users')).users);
  }, 30_000);
  const roles: Role[] = session.user.role === 'owner' ? ['owner', 'admin', 'agent'] : ['admin', 'agent'];

  const run = async (fn: () => Promise<unknown>, ok: string) => {
    setError('');
    setNotice('');
    try {
      await fn();
      setNotice(ok);
      refresh();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    }
  };
  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (await run(() => post('/api/public/engage/users', form), `${form.email} can now log in.`)) setForm({ email: '', name: '', role: 'agent', password: '' });
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <p className="muted">Owners and admins manage everything; agents work campaigns, lists and the inbox but not API keys, users or sender sources.</p>
      {error && <p className="error" role="alert">{error}</p>}
      {notice && <p className="ok" role="status">{notice}</p>}
      {users && (
        <table className="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">Since</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} className={u.disabled ? 'disabled' : ''}>
                <th scope="row">{u.name}{u.id === session.user.id ? ' (you)' : ''}</th>
                <td>{u.email}</td>
                <td>
                  <select aria-label={`Role of ${u.name}`} value={u.role} disabled={u.role === 'owner' && session.user.role !== 'owner'}
                    onChange={(e) => { const role = e.currentTarget.value; void run(() => patch(`/api/public/engage/users/${u.id}`, { role }), `${u.name} is now ${role}.`); }}>
                    {(u.role === 'owner' && !roles.includes('owner') ? ['owner' as Role] : roles).map((r) => <option key={r}>{r}</option>)}
                  </select>
                </td>
                <td>{when(u.created)}</td>
                <td className="actions">
                  <button type="button" className="link" onClick={() => void run(() => patch(`/api/public/engage/users/${u.id}`, { disabled: !u.disabled }), `${u.name} ${u.disabled ? 'enabled' : 'disabled'}.`)}>
                    {u.disabled ? 'Enable' : 'Disable'}<span className="sr-only"> {u.name}</span>
                  </button>
                  <button type="button" className="link" onClick={() => { if (confirm(`Delete ${u.email}?`)) void run(() => del(`/api/public/engage/users/${u.id}`), `${u.email} deleted.`); }}>
                    Delete<span className="sr-only"> {u.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="card" onSubmit={create} aria-labelledby="new-user-title">
        <h2 id="new-user-title">Add a user</h2>
        <div className="row">
          <label>E-mail <input type="email" required value={form.email} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, email: v })); }} /></label>
          <label>Name <input value={form.name} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, name: v })); }} /></label>
          <label>Role <select value={form.role} onChange={(e) => { const v = e.currentTarget.value as Role; setForm((f) => ({ ...f, role: v })); }}>{roles.map((r) => <option key={r}>{r}</option>)}</select></label>
          <label>First password <input type="password" minLength={10} required autoComplete="new-password" value={form.password} onChange={(e) => { const v = e.currentTarget.value; setForm((f) => ({ ...f, password: v })); }} /></label>
        </div>
        <button type="submit" className="primary">Add user</button>
      </form>
    </section>
  );
}
