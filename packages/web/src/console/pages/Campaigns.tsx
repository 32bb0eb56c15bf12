/** The campaign list: status, sending state and live counts (refreshed every two seconds). */
import { useState } from 'react';
import { errorText, get } from '../api.ts';
import { StatusBadge } from '../format.tsx';
import { usePolling } from '../router.ts';
import type { Campaign, CampaignCounts } from '../types.ts';

export function Campaigns() {
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [counts, setCounts] = useState<Record<string, CampaignCounts>>({});
  const [error, setError] = useState('');

  usePolling(async () => {
    try {
      const [c, n] = await Promise.all([
        get<{ campaigns: Campaign[] }>('/api/public/engage/campaigns?limit=200'),
        get<{ campaigns: CampaignCounts[] }>('/api/console/campaign-counts'),
      ]);
      setCampaigns(c.campaigns);
      setCounts(Object.fromEntries(n.campaigns.map((x) => [x.campaignId, x])));
      setError('');
    } catch (err) {
      setError(errorText(err));
    }
  }, 2000);

  return (
    <section aria-labelledby="campaigns-title">
      <div className="page-head">
        <h1 id="campaigns-title">Campaigns</h1>
        <a className="button primary" href="#/campaigns/new">New campaign</a>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {campaigns === null ? (
        <p role="status">Loading…</p>
      ) : campaigns.length === 0 ? (
        <p className="empty">No campaigns yet. Create one, load a list, and activate it.</p>
      ) : (
        <table className="grid campaigns-table">
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">Leads</th>
              <th scope="col" className="num">Sent</th>
              <th scope="col" className="num">Delivered</th>
              <th scope="col" className="num">Failed</th>
              <th scope="col" className="num">Replies</th>
              <th scope="col" className="num">Opt-outs</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {campaigns.map((c) => {
              const n = counts[c.id];
              return (
                <tr key={c.id} data-campaign-id={c.id}>
                  <th scope="row">
                    <a href={`#/campaigns/${c.id}`}>{c.name}</a>
                    <div className="muted small">{c.sendingStatusDescription}</div>
                  </th>
                  <td><StatusBadge status={c.campaignStatus} /></td>
                  <td className="num" data-count="leads">{n?.leads ?? 0}</td>
                  <td className="num" data-count="queued">{n?.queued ?? 0}</td>
                  <td className="num" data-count="delivered">{n?.delivered ?? 0}</td>
                  <td className="num" data-count="failed">{n?.failed ?? 0}</td>
                  <td className="num" data-count="replies">{n?.replies ?? 0}</td>
                  <td className="num" data-count="optOuts">{n?.optOuts ?? 0}</td>
                  <td className="actions">
                    <a href={`#/campaigns/${c.id}/dashboard`}>Dashboard</a>
                    <a href={`#/campaigns/${c.id}/lists`}>Lists</a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
