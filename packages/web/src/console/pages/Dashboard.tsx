/**
 * A campaign's dashboard: the delivery funnel (queued → sent → delivered / failed), reply,
 * opt-out and delivery rates, dispositions, and activity over time — hand-made SVG charts.
 */
import { useState } from 'react';
import { errorText, get } from '../api.ts';
import { pct } from '../format.tsx';
import { usePolling } from '../router.ts';
import type { Campaign, CampaignCounts } from '../types.ts';

interface Point { start: string; sent: number; delivered: number; failed: number; replies: number; optOuts: number }
interface DashboardData {
  counts: CampaignCounts; replyRate: number; optOutRate: number; deliveryRate: number;
  dispositions: { disposition: string; count: number }[]; bucket: 'hour' | 'day'; series: Point[];
}

const SERIES: { key: keyof Omit<Point, 'start'>; label: string; cls: string }[] = [
  { key: 'sent', label: 'Sent', cls: 's-sent' },
  { key: 'delivered', label: 'Delivered', cls: 's-delivered' },
  { key: 'failed', label: 'Failed', cls: 's-failed' },
  { key: 'replies', label: 'Replies', cls: 's-replies' },
  { key: 'optOuts', label: 'Opt-outs', cls: 's-optouts' },
];

export function Dashboard({ campaignId }: { campaignId: string }) {
  const [data, setData] = useState<DashboardData | null>(null);
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [error, setError] = useState('');
  usePolling(async () => {
    try {
      const [d, c] = await Promise.all([get<DashboardData>(`/api/console/campaigns/${campaignId}/dashboard`), get<Campaign>(`/api/public/engage/campaigns/${campaignId}`)]);
      setData(d);
      setCampaign(c);
    } catch (err) {
      setError(errorText(err));
    }
  }, 4000, [campaignId]);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!data || !campaign) return <p role="status">Loading…</p>;
  const c = data.counts;
  const funnel = [
    { label: 'Leads', value: c.leads },
    { label: 'Queued', value: c.queued },
    { label: 'Sent', value: c.sent },
    { label: 'Delivered', value: c.delivered },
    { label: 'Failed', value: c.failed },
  ];
  return (
    <section aria-labelledby="dash-title" className="dashboard">
      <div className="page-head">
        <h1 id="dash-title">{campaign.name}</h1>
        <span className="muted">{campaign.sendingStatusDescription}</span>
        <span className="spacer" />
        <a href={`#/campaigns/${campaignId}`}>Edit</a>
        <a href={`#/campaigns/${campaignId}/lists`}>Lists</a>
      </div>
      <div className="kpis">
        <Kpi label="Delivery rate" value={pct(data.deliveryRate)} detail={`${c.delivered} of ${c.delivered + c.failed} final`} />
        <Kpi label="Reply rate" value={pct(data.replyRate)} detail={`${c.replies} replies`} />
        <Kpi label="Opt-out rate" value={pct(data.optOutRate)} detail={`${c.optOuts} opt-outs`} />
        <Kpi label="Dispositioned" value={String(c.dispositioned)} detail={`of ${c.replies} conversations`} />
      </div>
      <div className="charts">
        <figure className="card">
          <figcaption>Delivery funnel</figcaption>
          <Bars items={funnel} />
        </figure>
        <figure className="card">
          <figcaption>Dispositions</figcaption>
          {data.dispositions.length ? <Bars items={data.dispositions.map((d) => ({ label: d.disposition, value: d.count }))} /> : <p className="muted">None yet.</p>}
        </figure>
      </div>
      <figure className="card">
        <figcaption>Activity per {data.bucket}</figcaption>
        <TimeChart series={data.series} bucket={data.bucket} />
      </figure>
    </section>
  );
}

function Kpi({ label, value, detail }: { label: string; value: string; detail: string }) {
  return (
    <div className="card kpi">
      <div className="kpi-label">{label}</div>
      <div className="kpi-value">{value}</div>
      <div className="muted small">{detail}</div>
    </div>
  );
}

/** Horizontal bars with their numbers; the table-like list is what screen readers get. */
function Bars({ items }: { items: { label: string; value: number }[] }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  const rowH = 28;
  return (
    <svg className="bars" viewBox={`0 0 400 ${items.length * rowH}`} role="img" aria-label={items.map((i) => `${i.label}: ${i.value}`).join(', ')}>
      {items.map((it, i) => (
        <g key={it.label} transform={`translate(0 ${i * rowH})`}>
          <text x={0} y={18} className="bar-label">{it.label.length > 18 ? `${it.label.slice(0, 17)}…` : it.label}</text>
          <rect x={130} y={5} height={16} rx={3} width={Math.max(it.value > 0 ? 2 : 0, (it.value / max) * 220)} className="bar" />
          <text x={130 + (it.value / max) * 220 + 6} y={18} className="bar-value">{it.value}</text>
        </g>
      ))}
    </svg>
  );
}

function TimeChart({ series, bucket }: { series: Point[]; bucket: 'hour' | 'day' }) {
  const W = 720;
  const H = 200;
  const pad = { l: 36, r: 8, t: 8, b: 24 };
  const max = Math.max(1, ...series.flatMap((p) => SERIES.map((s) => p[s.key])));
  const x = (i: number) => pad.l + (series.length <= 1 ? (W - pad.l - pad.r) / 2 : (i / (series.length - 1)) * (W - pad.l - pad.r));
  const y = (v: number) => pad.t + (1 - v / max) * (H - pad.t - pad.b);
  const label = (iso: string) => {
    const d = new Date(iso);
    return bucket === 'hour' ? `${d.getHours()}:00` : d.toLocaleDateString([], { month: 'short', day: 'numeric' });
  };
  const every = Math.max(1, Math.ceil(series.length / 8));
  return (
    <div>
      <svg viewBox={`0 0 ${W} ${H}`} className="timechart" role="img" aria-label={`Activity per ${bucket}: ${SERIES.map((s) => `${s.label} ${series.reduce((n, p) => n + p[s.key], 0)}`).join(', ')}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={W - pad.r} y1={y(max * f)} y2={y(max * f)} className="gridline" />
            <text x={pad.l - 6} y={y(max * f) + 4} className="axis" textAnchor="end">{Math.round(max * f)}</text>
          </g>
        ))}
        {series.map((p, i) => (i % every === 0 ? <text key={p.start} x={x(i)} y={H - 6} className="axis" textAnchor="middle">{label(p.start)}</text> : null))}
        {SERIES.map((s) => (
          <g key={s.key} className={s.cls}>
            <polyline fill="none" points={series.map((p, i) => `${x(i)},${y(p[s.key])}`).join(' ')} />
            {series.map((p, i) => (p[s.key] > 0 ? <circle key={i} cx={x(i)} cy={y(p[s.key])} r={3} /> : null))}
          </g>
        ))}
      </svg>
      <ul className="legend">
        {SERIES.map((s) => <li key={s.key} className={s.cls}><span className="swatch" aria-hidden="true" />{s.label}</li>)}
      </ul>
    </div>
  );
}
