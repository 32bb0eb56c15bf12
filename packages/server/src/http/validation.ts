import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Query strings and path parameters arrive as text, so they are coerced (`?limit=10` → 10).
 * Bodies are JSON and are taken as sent: `"outgoingMessage": 5` is an error, not "5".
 */
function ajv(coerce: boolean) {
  const opts: Options = { coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false };
  const instance = new Ajv(opts);
  addFormats.default(instance);
  return instance;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const coercing = ajv(true);
  const strict = ajv(false);
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
