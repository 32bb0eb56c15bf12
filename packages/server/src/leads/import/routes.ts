import { rm } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { authenticate } from '../../auth/api-keys.ts';
import type { AppContext } from '../../context.ts';
import { newId } from '../../core/ids.ts';
import { ApiError, notFound } from '../../http/errors.ts';
import { ErrorSchema } from '../../http/schemas.ts';
import { IdempotencyHeadersSchema, idempotent, uploadMaterial } from '../../http/idempotency.ts';
import { startImport } from './service.ts';
import { cancelImport, getImport, importSummary } from './store.ts';
import { MULTIPART_LIMITS, receiveUpload } from './upload.ts';

const BASE = '/api/public/engage/list/load';
const tags = ['Lists'];
const security = [{ apiKey: [] }];
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const JobParams = Type.Object({ jobId: Type.String({ pattern: '^[0-9a-f]{24}$' }) });

const ImportStatusSchema = Type.Union(['PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'].map((s) => Type.Literal(s)));
const AcceptedSchema = Type.Object({ listId: Type.String(), jobId: Type.String(), status: ImportStatusSchema });
export const ImportSummarySchema = Type.Object({
  jobId: Type.String(),
  listId: Type.String(),
  campaignId: Type.String(),
  fileName: Nullable(Type.String()),
  status: ImportStatusSchema,
  message: Nullable(Type.String()),
  total: Nullable(Type.Integer()),
  processed: Type.Integer(),
  progress: Type.Number(),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  reasons: Type.Record(Type.String(), Type.Integer()),
  rejections: Type.Array(Type.Object({ row: Type.Integer(), reason: Type.String(), value: Nullable(Type.String()) })),
  rejectionsOmitted: Type.Integer(),
  created: Type.String(),
  started: Nullable(Type.String()),
  finished: Nullable(Type.String()),
});

export function listImportRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    // Only this plugin parses multipart; files are streamed by the handler (upload.ts).
    await app.register(multipart, { limits: MULTIPART_LIMITS });

    app.post(BASE, {
      schema: {
        tags, security, summary: 'Load a CSV list', consumes: ['multipart/form-data'],
        description:
          'multipart/form-data: `campaignId`, `file` (CSV, UTF-8) and `processRequest`, a stringified JSON object ' +
          '`{ deDupe, firstRowHeaders (or firstRowHasHeaders), webhookUrl, listName, mappedCols: [{ columnIndex, columnId }] }`. ' +
          'Answers 202 at once; the file is loaded in the background (see `GET /list/load/{jobId}`) and the summary POSTed to `webhookUrl`. ' +
          'See docs/lists.md. With `Idempotency-Key`, the request is identified by its text fields and the file\'s name and SHA-256.',
        headers: IdempotencyHeadersSchema,
        response: { 202: AcceptedSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      const jobId = newId(ctx.now());
      const upload = await receiveUpload(req, ctx.config.dataDir, jobId);
      const material = req.headers['idempotency-key'] === undefined ? '' : await uploadMaterial(upload.fields, upload.file);
      return idempotent(ctx, req, reply, `ws:${who.workspaceId}`, async () => reply.status(202).send(await startImport(ctx, who, jobId, upload)), {
        material,
        discard: async () => {
          if (upload.file) await rm(upload.file.path, { force: true });
        },
      });
    });

    app.get<{ Params: { jobId: string } }>(`${BASE}/:jobId`, {
      schema: {
        tags, security, summary: 'A list load job', params: JobParams,
        description: '`processed` and `progress` move while `PROCESSING`; counts and `rejections` (the first 10,000, by row) are final once it is not.',
        response: { 200: ImportSummarySchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const imp = await getImport(ctx.db, req.params.jobId, who.workspaceId);
      if (!imp) throw notFound('list load job');
      return importSummary(imp);
    });

    const cancel = async (workspaceId: number, jobId: string) => {
      const cancelled = await cancelImport(ctx.db, workspaceId, jobId, ctx.now());
      if (cancelled) return importSummary(cancelled);
      const imp = await getImport(ctx.db, jobId, workspaceId);
      if (!imp) throw notFound('list load job');
      throw new ApiError(409, 'CONFLICT', `the job is already ${imp.status}`, 'jobId', { status: imp.status });
    };
    const cancelSchema = {
      tags, security, params: JobParams,
      description: 'Stops a `PROCESSING` job; nothing of it is loaded. 409 when it already finished.',
      response: { 200: ImportSummarySchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
    };
    app.post<{ Params: { jobId: string } }>(`${BASE}/:jobId/cancel`, { schema: { ...cancelSchema, summary: 'Cancel a list load' } }, async (req) =>
      cancel((await authenticate(ctx, req)).workspaceId, req.params.jobId),
    );
    app.delete<{ Params: { jobId: string } }>(`${BASE}/:jobId`, { schema: { ...cancelSchema, summary: 'Cancel a list load (same as POST …/cancel)' } }, async (req) =>
      cancel((await authenticate(ctx, req)).workspaceId, req.params.jobId),
    );
  };
}
