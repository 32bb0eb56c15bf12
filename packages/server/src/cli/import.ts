/**
 * `engage import <file.csv> --campaign <id>`: uploads the file to the list load endpoint and follows
 * the job, drawing a progress bar on stderr when it is a terminal (a line per 25% otherwise).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { EngageApiError, EngageClient, type ListLoadJob } from '@engage/sdk';
import type { Config } from '../config.ts';
import { EXIT, USAGE, UsageError, intOption, parse, printable } from './usage.ts';

/** `Phone=mobile,FirstName=1` → mapped columns, resolving header names against the first row. */
export function mappedColumns(spec: string | undefined, header: string[] | null): { columnIndex: number; columnId: string }[] {
  if (spec === undefined) {
    if (!header) throw new UsageError('--map is required with --no-headers', 'import');
    return header.map((name, columnIndex) => ({ columnIndex, columnId: name.trim() })).filter((c) => c.columnId !== '');
  }
  const seen = new Set<string>();
  return spec.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    const columnId = pair.slice(0, eq).trim();
    const source = pair.slice(eq + 1).trim();
    if (eq < 1 || !columnId || !source) throw new UsageError(`--map: "${pair}" is not name=column`, 'import');
    if (seen.has(columnId)) throw new UsageError(`--map: "${columnId}" is mapped twice`, 'import');
    seen.add(columnId);
    if (/^\d+$/.test(source)) return { columnIndex: Number(source), columnId };
    const columnIndex = header ? header.findIndex((h) => h.trim() === source) : -1;
    if (columnIndex < 0) {
      throw new UsageError(header ? `--map: the file has no column "${source}" (columns: ${header.join(', ')})` : `--map: "${source}" must be a column index with --no-headers`, 'import');
    }
    return { columnIndex, columnId };
  });
}

function bar(job: ListLoadJob, width = 30): string {
  const filled = Math.round(job.progress * width);
  const rows = job.total !== null ? `${job.processed}/${job.total} rows` : `${job.processed} rows`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(job.progress * 100)).padStart(3)}% ${rows}`;
}

export async function importCommand(config: Config, argv: string[]): Promise<number> {
  const { values, positionals } = parse('import', argv, {
    campaign: { type: 'string' }, map: { type: 'string' }, 'list-name': { type: 'string' }, headers: { type: 'boolean', default: true },
    dedupe: { type: 'boolean', default: true }, 'webhook-url': { type: 'string' }, url: { type: 'string' }, 'api-key': { type: 'string' },
    interval: { type: 'string' },
  });
  if (values.help) {
    console.log(USAGE.import);
    return EXIT.OK;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one CSV file' : 'missing the CSV file', 'import');
  const file = positionals[0]!;
  if (!values.campaign) throw new UsageError('--campaign <id> is required', 'import');
  if (!/^[0-9a-f]{24}$/.test(values.campaign)) throw new UsageError(`--campaign: "${values.campaign}" is not a campaign id (24 hex characters)`, 'import');
  let content: Buffer;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    content = readFileSync(file);
  } catch {
    throw new UsageError(`cannot read "${file}"`, 'import');
  }
  const intervalMs = intOption('import', 'interval', values.interval, 250, 10, 60_000);
  let header: string[] | null = null;
  if (values.headers) {
    const firstLine = content.subarray(0, 64 * 1024).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
    header = (parseCsv(firstLine, { relax_quotes: true }) as string[][])[0] ?? [];
  }
  const mappedCols = mappedColumns(values.map, header);
  const demoKeyFile = path.join(config.dataDir, 'demo-api-key');
  const apiKey = values['api-key'] ?? config.bootstrapApiKey ?? (existsSync(demoKeyFile) ? readFileSync(demoKeyFile, 'utf8').trim() : null);
  if (!apiKey) throw new UsageError('no API key: pass --api-key (or create one with "engage keys create")', 'import');
  const client = new EngageClient({ baseUrl: values.url ?? config.publicUrl, apiKey });

  const tty = process.stderr.isTTY === true;
  try {
    const accepted = await client.leads.loadList({
      campaignId: values.campaign, file: content, fileName: path.basename(file),
      processRequest: {
        deDupe: values.dedupe, firstRowHeaders: values.headers, mappedCols,
        ...(values['list-name'] ? { listName: values['list-name'] } : {}),
        ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
      },
    });
    process.stderr.write(`uploading ${path.basename(file)} (${content.length} bytes): list ${accepted.listId}, job ${accepted.jobId}\n`);
    let lastQuarter = -1;
    const job = await client.leads.waitForListLoad(accepted.jobId, {
      intervalMs,
      onProgress: (j) => {
        if (tty) process.stderr.write(`\r${bar(j)}`);
        else if (Math.floor(j.progress * 4) > lastQuarter) {
          lastQuarter = Math.floor(j.progress * 4);
          process.stderr.write(`${bar(j)}\n`);
        }
      },
    });
    if (tty) process.stderr.write('\n');
    if (job.status !== 'COMPLETED') {
      console.error(`engage import: the load ${job.status.toLowerCase()}${job.message ? `: ${printable(job.message)}` : ''}`);
      return EXIT.FAILURE;
    }
    const reasons = Object.entries(job.reasons).map(([r, n]) => `${r}: ${n}`).join(', ');
    console.log(`loaded ${job.accepted} lead(s) into list ${job.listId}; rejected ${job.rejected}${reasons ? ` (${reasons})` : ''}`);
    for (const r of job.rejections.slice(0, 20)) console.log(`  row ${r.row}: ${r.reason}${r.value !== null ? ` ${JSON.stringify(printable(r.value))}` : ''}`);
    if (job.rejections.length > 20 || job.rejectionsOmitted > 0) console.log(`  … ${Math.max(job.rejected - 20, 0)} more (GET /api/public/engage/list/load/${job.jobId})`);
    return EXIT.OK;
  } catch (err) {
    if (tty) process.stderr.write('\n');
    if (err instanceof EngageApiError) {
      console.error(`engage import: ${err.status ? `HTTP ${err.status} ${err.code}` : err.code}: ${printable(err.message)}`);
      return EXIT.FAILURE;
    }
    throw err;
  }
}
