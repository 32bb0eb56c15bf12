/**
 * The `processRequest` of a list upload (SPEC §1.4): a JSON document sent as a multipart text field,
 * so Fastify's schema validation never sees it. It is checked here with the same kind of schema, and
 * every error names its field the way the rest of the API does (`processRequest.mappedCols[0].columnIndex`).
 */
import { Ajv, type ErrorObject } from 'ajv';
import { Type, type Static } from 'typebox';
import { badRequest } from '../../http/errors.ts';
import { validateWebhookUrl } from '../../webhooks/address-guard.ts';
import { PHONE_NAMES, ZIP_NAMES } from '../load.ts';

/** Widest column index accepted; spreadsheets stop at 16,384 columns. */
const MAX_COLUMN_INDEX = 16_383;

export const MappedColumnSchema = Type.Object({
  columnIndex: Type.Integer({ minimum: 0, maximum: MAX_COLUMN_INDEX }),
  columnId: Type.String({ minLength: 1, maxLength: 100 }),
});

/** Unknown keys are ignored: clients written for the commercial product may send more. */
export const ProcessRequestSchema = Type.Object({
  deDupe: Type.Optional(Type.Boolean()),
  firstRowHeaders: Type.Optional(Type.Boolean()),
  firstRowHasHeaders: Type.Optional(Type.Boolean()),
  webhookUrl: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  listName: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  mappedCols: Type.Array(MappedColumnSchema, { minItems: 1, maxItems: 500 }),
});
type ProcessRequest = Static<typeof ProcessRequestSchema>;

export interface MappedColumn {
  columnIndex: number;
  columnId: string;
}

/** A validated `processRequest`, as stored with the import and read by the import task. */
export interface ImportOptions {
  /** Reject phones already in the campaign or earlier in the file. Default true. */
  deDupe: boolean;
  /** The first record is a header row and is skipped. Default false. */
  firstRowHeaders: boolean;
  /** Where the completion summary is POSTed; null = nowhere. */
  webhookUrl: string | null;
  /** The list to load into; null = the file's name. */
  listName: string | null;
  /** Columns kept, in this order, in each lead's `leadData` under their `columnId`. */
  mappedCols: MappedColumn[];
  /** Index into `mappedCols` of the phone column (a `columnId` such as "Phone" or "Mobile"). */
  phone: number;
  /** Index into `mappedCols` of the ZIP column, or null. */
  zip: number | null;
}

const validate = new Ajv({ allErrors: false, strict: false, coerceTypes: false }).compile<ProcessRequest>(ProcessRequestSchema);

/** `/mappedCols/0/columnIndex` → `processRequest.mappedCols[0].columnIndex`. */
function fieldOf(err: ErrorObject): string {
  const path = err.instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('');
  const missing = (err.params as { missingProperty?: unknown }).missingProperty;
  return `processRequest${path}${typeof missing === 'string' ? `.${missing}` : ''}`;
}

/** Parses and checks the `processRequest` text; throws a 400 naming the offending field. */
export function parseProcessRequest(text: string | undefined): ImportOptions {
  if (text === undefined || text.trim() === '') throw badRequest('processRequest', 'processRequest is required: a JSON object with mappedCols');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('processRequest', 'processRequest must be JSON (a stringified object)');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('processRequest', 'processRequest must be a JSON object');
  if (!validate(value)) {
    const err = validate.errors?.[0];
    const field = err ? fieldOf(err) : 'processRequest';
    throw badRequest(field, `${field}: ${err?.message ?? 'is invalid'}`);
  }
  const req = value;
  const ids = new Set<string>();
  req.mappedCols.forEach((c, i) => {
    const id = c.columnId.trim();
    if (id === '') throw badRequest(`processRequest.mappedCols[${i}].columnId`, 'columnId must not be blank');
    if (ids.has(id)) throw badRequest(`processRequest.mappedCols[${i}].columnId`, `column "${id}" is mapped twice`);
    ids.add(id);
  });
  const mappedCols = req.mappedCols.map((c) => ({ columnIndex: c.columnIndex, columnId: c.columnId.trim() }));
  const phone = mappedCols.findIndex((c) => PHONE_NAMES.test(c.columnId));
  if (phone < 0) throw badRequest('processRequest.mappedCols', 'no column is mapped to the phone: give one the columnId "Phone"');
  const zip = mappedCols.findIndex((c) => ZIP_NAMES.test(c.columnId));

  let webhookUrl: string | null = null;
  if (typeof req.webhookUrl === 'string' && req.webhookUrl.trim() !== '') {
    const check = validateWebhookUrl(req.webhookUrl);
    if (!check.ok) throw badRequest('processRequest.webhookUrl', `webhookUrl ${check.message}`);
    webhookUrl = check.url;
  }
  return {
    deDupe: req.deDupe ?? true,
    // `firstRowHasHeaders` is the legacy spelling; the current one wins when both are sent.
    firstRowHeaders: req.firstRowHeaders ?? req.firstRowHasHeaders ?? false,
    webhookUrl,
    listName: req.listName?.trim() || null,
    mappedCols,
    phone,
    zip: zip < 0 ? null : zip,
  };
}

/** Options read back from the database (queued jobs can outlive the code that queued them). */
export function storedOptions(value: unknown): ImportOptions {
  const o = value as Partial<ImportOptions> | null;
  if (!o || !Array.isArray(o.mappedCols) || typeof o.phone !== 'number' || !o.mappedCols[o.phone]) {
    throw new Error('list import: stored options are not ImportOptions');
  }
  return {
    deDupe: o.deDupe !== false,
    firstRowHeaders: o.firstRowHeaders === true,
    webhookUrl: typeof o.webhookUrl === 'string' ? o.webhookUrl : null,
    listName: typeof o.listName === 'string' ? o.listName : null,
    mappedCols: o.mappedCols,
    phone: o.phone,
    zip: typeof o.zip === 'number' ? o.zip : null,
  };
}
