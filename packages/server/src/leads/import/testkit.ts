/**
 * Test helpers for list imports (used by the `*.test.ts` beside this file only): upload a CSV over
 * real HTTP as multipart/form-data, wait for the job to finish, read the list's leads.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read loosely, as in every *.test.ts */
import fc from 'fast-check';
import { TEST_API_KEY, eventually, type TestEngage } from '../../../test/harness.ts';

export interface UploadInput {
  campaignId?: string;
  /** The file's content; a string is sent as UTF-8. */
  csv?: string | Uint8Array;
  fileName?: string;
  /** Stringified unless already a string. */
  processRequest?: unknown;
  /** Extra or replacement form fields. */
  fields?: Record<string, string>;
  /** Send `processRequest` as a JSON file part (a Blob), as some clients do. */
  processRequestAsBlob?: boolean;
  /** Default: the test workspace's key. */
  apiKey?: string;
}

export async function uploadList(engage: TestEngage, input: UploadInput): Promise<{ status: number; body: any }> {
  const form = new FormData();
  if (input.campaignId !== undefined) form.append('campaignId', input.campaignId);
  if (input.processRequest !== undefined) {
    const text = typeof input.processRequest === 'string' ? input.processRequest : JSON.stringify(input.processRequest);
    if (input.processRequestAsBlob) form.append('processRequest', new Blob([text], { type: 'application/json' }), 'processRequest.json');
    else form.append('processRequest', text);
  }
  for (const [k, v] of Object.entries(input.fields ?? {})) form.append(k, v);
  if (input.csv !== undefined) form.append('file', new Blob([input.csv], { type: 'text/csv' }), input.fileName ?? 'leads.csv');
  const res = await fetch(`${engage.url}/api/public/engage/list/load`, { method: 'POST', headers: { 'x-api-key': input.apiKey ?? TEST_API_KEY }, body: form });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body };
}

/** Waits until the job left PROCESSING and returns its summary. */
export async function finished(engage: TestEngage, jobId: string, timeoutMs = 20_000): Promise<any> {
  return eventually(async () => {
    const r = await engage.api('GET', `/api/public/engage/list/load/${jobId}`);
    return r.body.status !== 'PROCESSING' ? r.body : undefined;
  }, timeoutMs, `list load ${jobId} to finish`);
}

/** Uploads and waits; fails the test unless the upload was accepted. */
export async function importList(engage: TestEngage, input: UploadInput): Promise<any> {
  const r = await uploadList(engage, input);
  if (r.status !== 202) throw new Error(`upload answered ${r.status}: ${JSON.stringify(r.body)}`);
  return finished(engage, r.body.jobId);
}

/** Every lead of a list, paging with the keyset cursor. */
export async function listLeads(engage: TestEngage, listId: string, limit = 1000): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: any } = await engage.api('GET', `/api/public/engage/lists/${listId}/leads?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.body.leads);
    cursor = page.body.nextCursor;
  } while (cursor);
  return out;
}

/** `mappedCols` for columns named in order: `cols('Phone', 'First')` → index 0 → Phone, 1 → First. */
export const cols = (...ids: (string | null)[]) =>
  ids.flatMap((columnId, columnIndex) => (columnId === null ? [] : [{ columnIndex, columnId }]));

export const campaign = async (engage: TestEngage, name = 'Import'): Promise<string> =>
  (await engage.api('POST', '/api/public/engage/campaigns', { name })).body.id;

/** Characters CSV treats specially, weighted up, plus any Unicode scalar value but NUL and U+FEFF. */
export const fieldUnit = fc.oneof(
  { arbitrary: fc.constantFrom(',', '"', '\r', '\n', '\r\n', ' ', '\t', '\\', "'", 'é', '😀'), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000' && c !== '\ufeff'), weight: 3 },
);
export const field = fc.string({ unit: fieldUnit, maxLength: 20 });

/** RFC 4180 quoting, as Excel and most exporters do it. */
export function toCsvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
