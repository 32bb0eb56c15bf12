/** The console shell: session check, login, navigation and the page for the current route. */
import { useEffect, useState } from 'react';
import { ApiError, del, get, setCsrfToken, setUnauthorizedHandler } from './api.ts';
import { Login } from './pages/Login.tsx';
import { Campaigns } from './pages/Campaigns.tsx';
import { CampaignEditor } from './pages/CampaignEditor.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { Lists } from './pages/Lists.tsx';
import { Inbox } from './pages/Inbox.tsx';
import { WebhookLog } from './pages/WebhookLog.tsx';
import { OptOuts } from './pages/OptOuts.tsx';
import { ApiKeys } from './pages/ApiKeys.tsx';
import { SenderSources } from './pages/SenderSources.tsx';
import { Users } from './pages/Users.tsx';
import { useRoute } from './router.ts';
import type { Session } from './types.ts';

const NAV: { path: string; label: string; managers?: boolean }[] = [
  { path: 'campaigns', label: 'Campaigns' },
  { path: 'lists', label: 'Lists' },
  { path: 'inbox', label: 'Inbox' },
  { path: 'webhooks', label: 'Webhook log' },
  { path: 'opt-outs', label: 'Opt-outs' },
  { path: 'sender-sources', label: 'Sender sources', managers: true },
  { path: 'api-keys', label: 'API keys', managers: true },
  { path: 'users', label: 'Users', managers: true },
];

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const route = useRoute();

  useEffect(() => {
    setUnauthorizedHandler(() => setSession(null));
    get<Session>('/api/console/session').then(
      (s) => {
        setCsrfToken(s.csrfToken);
        setSession(s);
      },
      (err: unknown) => {
        if (!(err instanceof ApiError) || err.status !== 401) console.error(err);
        setSession(null);
      },
    );
  }, []);

  if (session === undefined) return <p className="loading" role="status">Loading…</p>;
  if (session === null) {
    return (
      <Login
        onLogin={(s) => {
          setCsrfToken(s.csrfToken);
          setSession(s);
        }}
      />
    );
  }

  const manager = session.user.role !== 'agent';
  const section = route[0] ?? 'campaigns';
  const logout = async () => {
    await del('/api/console/session').catch(() => undefined);
    setCsrfToken('');
    setSession(null);
  };

  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="#/campaigns">Engage</a>
        <span className="workspace">{session.workspace.name}</span>
        <span className="spacer" />
        <span className="who">
          {session.user.name} <span className="role">{session.user.role}</span>
        </span>
        <button type="button" className="link" onClick={logout}>Log out</button>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          {NAV.filter((n) => manager || !n.managers).map((n) => (
            <li key={n.path}>
              <a href={`#/${n.path}`} aria-current={section === n.path ? 'page' : undefined}>{n.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" id="main">
        <Page route={route} session={session} />
      </main>
    </div>
  );
}

function Page({ route, session }: { route: string[]; session: Session }) {
  const [section = 'campaigns', id, sub] = route;
  switch (section) {
    case 'campaigns':
      if (!id) return <Campaigns />;
      if (sub === 'dashboard') return <Dashboard campaignId={id} />;
      if (sub === 'lists') return <Lists campaignId={id} />;
      return <CampaignEditor campaignId={id === 'new' ? null : id} />;
    case 'lists':
      return <Lists campaignId={id ?? null} />;
    case 'inbox':
      return <Inbox leadId={id ?? null} session={session} />;
    case 'webhooks':
      return <WebhookLog eventId={id ?? null} />;
    case 'opt-outs':
      return <OptOuts />;
    case 'sender-sources':
      return <SenderSources />;
    case 'api-keys':
      return <ApiKeys />;
    case 'users':
      return <Users session={session} />;
    default:
      return <h1>Not found</h1>;
  }
}
