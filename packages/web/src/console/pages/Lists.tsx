/**
 * A campaign's lists and the CSV upload: pick a file, map its columns (preview of the first rows,
 * read in the browser), then watch the import's progress and its per-row rejection report.
 */
import { useEffect, useState } from 'react';
import { errorText, get, post } from '../api.ts';
import { previewFile, suggestColumn } from '../csv-preview.ts';
import { when } from '../format.tsx';
import { navigate, usePolling } from '../router.ts';
import type { Campaign, ImportJob, ListSummary } from '../types.ts';

const IGNORE = '';

export function Lists({ campaignId }: { campaignId: string | null }) {
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [lists, setLists] = useState<ListSummary[]>([]);
  const [error, setError] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);

  useEffect(() => {
    get<{ campaigns: Campaign[] }>('/api/public/engage/campaigns?limit=200').then((r) => setCampaigns(r.campaigns), (e: unknown) => setError(errorText(e)));
  }, []);
  const refresh = usePolling(async () => {
    if (!campaignId) return setLists([]);
    setLists((await get<{ lists: ListSummary[] }>(`/api/public/engage/campaigns/${campaignId}/lists`)).lists);
  }, 3000, [campaignId]);

  const toggle = async (l: ListSummary) => {
    try {
      await post(`/api/public/engage/lists/${l.id}/${l.listStatus === 'ACTIVE' ? 'pause' : 'activate'}`);
      refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section aria-labelledby="lists-title">
      <div className="page-head">
        <h1 id="lists-title">Lists</h1>
        <label className="inline">
          Campaign
          <select value={campaignId ?? ''} onChange={(e) => navigate(e.currentTarget.value ? `/campaigns/${e.currentTarget.value}/lists` : '/lists')}>
            <option value="">Choose a campaign…</option>
            {campaigns.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </label>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {campaignId && (
        <>
          {lists.length > 0 && (
            <table className="grid">
              <thead><tr><th scope="col">List</th><th scope="col">Status</th><th scope="col" className="num">Leads</th><th scope="col" className="num">Not sent yet</th><th scope="col">Loaded</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {lists.map((l) => (
                  <tr key={l.id}>
                    <th scope="row">{l.name}</th>
                    <td>{l.listStatus}</td>
                    <td className="num">{l.leads}</td>
                    <td className="num">{l.pending ?? '—'}</td>
                    <td>{when(l.created)}</td>
                    <td><button type="button" className="link" onClick={() => toggle(l)}>{l.listStatus === 'ACTIVE' ? 'Pause' : 'Activate'}<span className="sr-only"> {l.name}</span></button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {jobId ? (
            <ImportProgress jobId={jobId} onDone={refresh} onAgain={() => setJobId(null)} />
          ) : (
            <Upload campaignId={campaignId} onStarted={(id) => { setJobId(id); refresh(); }} />
          )}
        </>
      )}
    </section>
  );
}

function Upload({ campaignId, onStarted }: { campaignId: string; onStarted: (jobId: string) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [rows, setRows] = useState<string[][]>([]);
  const [headers, setHeaders] = useState(true);
  const [deDupe, setDeDupe] = useState(true);
  const [listName, setListName] = useState('');
  const [mapping, setMapping] = useState<string[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const choose = async (f: File | null) => {
    setFile(f);
    setError('');
    if (!f) return setRows([]);
    setListName(f.name.replace(/\.csv$/i, ''));
    const r = await previewFile(f);
    setRows(r);
    const first = r[0] ?? [];
    const looksLikeHeader = first.length > 0 && !first.some((c) => /^\+?[\d\s().-]{7,}$/.test(c.trim()));
    setHeaders(looksLikeHeader);
    setMapping(first.map((c, i) => (looksLikeHeader ? suggestColumn(c) : i === first.findIndex((x) => /^\+?[\d\s().-]{7,}$/.test(x.trim())) ? 'Phone' : `Column ${i + 1}`)));
  };

  const width = Math.max(0, ...rows.map((r) => r.length));
  const header = headers ? rows[0] ?? [] : [];
  const body = headers ? rows.slice(1) : rows;
  const mapped = mapping.map((m, i) => ({ columnIndex: i, columnId: m.trim() })).filter((m) => m.columnId !== IGNORE);
  const phones = mapped.filter((m) => m.columnId === 'Phone').length;
  const dupes = mapped.map((m) => m.columnId).filter((n, i, all) => all.indexOf(n) !== i);
  const problem = !file ? '' : phones !== 1 ? 'Map exactly one column to Phone.' : dupes.length ? `Two columns are named ${dupes[0]}.` : '';

  const start = async () => {
    if (!file || problem) return;
    setBusy(true);
    setError('');
    try {
      const form = new FormData();
      form.append('campaignId', campaignId);
      form.append('processRequest', JSON.stringify({ deDupe, firstRowHeaders: headers, listName: listName.trim() || file.name, mappedCols: mapped }));
      form.append('file', file, file.name);
      const r = await post<{ jobId: string }>('/api/public/engage/list/load', form);
      onStarted(r.jobId);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card upload" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a CSV list</h2>
      <label>
        CSV file
        <input type="file" accept=".csv,text/csv" onChange={(e) => void choose(e.currentTarget.files?.[0] ?? null)} />
      </label>
      {file && rows.length > 0 && (
        <>
          <div className="row">
            <label>List name <input value={listName} maxLength={200} onChange={(e) => setListName(e.currentTarget.value)} /></label>
            <label className="check"><input type="checkbox" checked={headers} onChange={(e) => setHeaders(e.currentTarget.checked)} /> First row is a header</label>
            <label className="check"><input type="checkbox" checked={deDupe} onChange={(e) => setDeDupe(e.currentTarget.checked)} /> Skip duplicate phones</label>
          </div>
          <h3>Map the columns</h3>
          <p className="muted small">Each kept column becomes a lead field of that name (usable as a {'{{token}}'}). Exactly one must be Phone.</p>
          <div className="table-scroll">
            <table className="grid mapping">
              <thead>
                <tr>
                  {Array.from({ length: width }, (_, i) => (
                    <th key={i} scope="col">
                      <span className="muted small">{headers ? header[i] ?? `Column ${i + 1}` : `Column ${i + 1}`}</span>
                      <input
                        aria-label={`Field name for column ${i + 1}${headers && header[i] ? ` (${header[i]})` : ''}`}
                        list="known-fields" placeholder="(ignored)" value={mapping[i] ?? ''}
                        onChange={(e) => { const v = e.currentTarget.value; setMapping((m) => Array.from({ length: width }, (_, j) => (j === i ? v : m[j] ?? ''))); }}
                      />
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {body.slice(0, 5).map((r, ri) => (
                  <tr key={ri}>{Array.from({ length: width }, (_, i) => <td key={i}>{r[i] ?? ''}</td>)}</tr>
                ))}
              </tbody>
            </table>
            <datalist id="known-fields">
              {['Phone', 'FirstName', 'LastName', 'Zip', 'Email', 'City', 'State'].map((f) => <option key={f} value={f} />)}
            </datalist>
          </div>
          <p className="muted small">Clear a field name to leave that column out. Preview of the first {Math.min(5, body.length)} rows.</p>
          {problem && <p className="warn" role="status">{problem}</p>}
          {error && <p className="error" role="alert">{error}</p>}
          <button type="button" className="primary" disabled={busy || !!problem} onClick={start}>Start import</button>
        </>
      )}
    </div>
  );
}

function ImportProgress({ jobId, onDone, onAgain }: { jobId: string; onDone: () => void; onAgain: () => void }) {
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState('');
  const finished = job !== null && job.status !== 'PROCESSING';

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const j = await get<ImportJob>(`/api/public/engage/list/load/${jobId}`);
        setJob(j);
        if (j.status !== 'PROCESSING') return onDone();
      } catch (err) {
        setError(errorText(err));
      }
      if (!stop) timer = setTimeout(tick, 400);
    };
    void tick();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
    // onDone is a fresh closure every render; polling restarts only for a new job.
  }, [jobId]);

  const cancel = async () => {
    try {
      setJob(await post<ImportJob>(`/api/public/engage/list/load/${jobId}/cancel`));
    } catch (err) {
      setError(errorText(err));
    }
  };

  const pct = job ? Math.round((job.status === 'COMPLETED' ? 1 : job.progress) * 100) : 0;
  return (
    <div className="card import" aria-labelledby="import-title">
      <h2 id="import-title">Import {job?.fileName ? `of ${job.fileName}` : ''}</h2>
      {error && <p className="error" role="alert">{error}</p>}
      <progress max={100} value={pct} aria-label="Import progress" />
      <p role="status" className="import-status" data-status={job?.status ?? 'PROCESSING'}>
        {!job ? 'Starting…' : job.status === 'PROCESSING'
          ? `Processing… ${job.processed}${job.total ? ` of ${job.total}` : ''} rows (${pct}%)`
          : job.status === 'COMPLETED'
            ? `Done: ${job.accepted} accepted, ${job.rejected} rejected.`
            : `${job.status}: ${job.message ?? ''}`}
      </p>
      {!finished && <button type="button" onClick={cancel}>Cancel import</button>}
      {finished && job.rejected > 0 && (
        <>
          <h3>Rejected rows</h3>
          <p className="small">{Object.entries(job.reasons).map(([r, n]) => `${r}: ${n}`).join(' · ')}</p>
          <div className="table-scroll">
            <table className="grid rejections">
              <thead><tr><th scope="col" className="num">Row</th><th scope="col">Reason</th><th scope="col">Value</th></tr></thead>
              <tbody>
                {job.rejections.slice(0, 500).map((r) => (
                  <tr key={r.row}><td className="num">{r.row}</td><td>{r.reason}</td><td>{r.value ?? ''}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
          {job.rejections.length > 500 || job.rejectionsOmitted > 0 ? <p className="muted small">Only the first rows are shown.</p> : null}
        </>
      )}
      {finished && <button type="button" onClick={onAgain}>Upload another list</button>}
    </div>
  );
}
