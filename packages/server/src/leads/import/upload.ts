/**
 * Receiving a list upload: the multipart body is read part by part and the file streamed straight to
 * `<dataDir>/imports/<jobId>.upload`, so a 100 MB list never sits in memory. The text fields
 * (`campaignId`, `processRequest`) may come before or after the file; they are checked once the body
 * is read. On any error the partial file is removed.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../../http/errors.ts';
import { importsDir } from './store.ts';

/** Largest list accepted: 2 GiB (≈ 25 million rows of 8 columns). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** Largest text field (`processRequest` with hundreds of mapped columns still fits). */
export const MAX_FIELD_BYTES = 1024 * 1024;

export interface Upload {
  fields: Record<string, string>;
  /** The `file` part, on disk; null when none was sent. */
  file: { path: string; name: string | null; bytes: number } | null;
}

/** Multipart limits; exceeding one answers 413. */
export const MULTIPART_LIMITS = { fileSize: MAX_FILE_BYTES, fieldSize: MAX_FIELD_BYTES, files: 3, fields: 20, parts: 24 };

/** A small part sent as a file (e.g. `processRequest` appended as a JSON Blob) → its text. */
async function readText(stream: Readable, field: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FIELD_BYTES) {
      stream.resume();
      throw badRequest(field, `${field} is larger than ${MAX_FIELD_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function receiveUpload(req: FastifyRequest, dataDir: string, id: string): Promise<Upload> {
  if (!req.isMultipart()) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data with the fields campaignId, processRequest and file');
  }
  const dir = importsDir(dataDir);
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, `${id}.upload`);
  const upload: Upload = { fields: {}, file: null };
  try {
    for await (const part of req.parts({ limits: MULTIPART_LIMITS })) {
      if (part.type === 'file' && part.fieldname === 'file') {
        if (upload.file !== null) throw badRequest('file', 'send one file per upload');
        await pipeline(part.file, createWriteStream(target));
        upload.file = { path: target, name: part.filename?.trim() || null, bytes: (await stat(target)).size };
      } else if (part.type === 'file') {
        upload.fields[part.fieldname] = await readText(part.file, part.fieldname);
      } else {
        if (part.valueTruncated) throw badRequest(part.fieldname, `${part.fieldname} is larger than ${MAX_FIELD_BYTES} bytes`);
        upload.fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    await rm(target, { force: true });
    throw err;
  }
  return upload;
}
