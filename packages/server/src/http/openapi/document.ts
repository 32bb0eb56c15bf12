/**
 * Finishing touches on the generated OpenAPI document: examples and documentation-only response
 * schemas from examples.ts, and the `webhooks` section (OpenAPI 3.1) describing every event Engage
 * POSTs. Applied by @fastify/swagger's `transformObject`, once per document build.
 */
import { EVENT_TYPES } from '../../events/payload.ts';
import { WebhookPayloadSchema } from '../../events/payload-schema.ts';
import { OPERATION_DOCS, webhookExample } from './examples.ts';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const EVENT_DESCRIPTIONS: Record<string, string> = {
  ConversationStarted: 'The first reply of a lead after the broadcast (not a keyword). `messages` holds the whole history.',
  NewMessage: 'Each later inbound message of the conversation. `messages` holds only the newest inbound message.',
  Disposition: 'An agent set the final disposition (`lead.disposition`, `lead.dispositionTimestamp`).',
  OptOut: 'The lead sent an opt-out keyword (STOP…); the phone is suppressed for the whole workspace.',
  OptIn: 'The lead sent an opt-in keyword (START…) after opting out; suppression is lifted.',
  DeliveryResult: 'The broadcast reached a final carrier status: `lead.status` is DELIVERED, UNDELIVERED or FAILED.',
};

function successStatus(op: Json, doc: { status?: number }): string {
  if (doc.status) return String(doc.status);
  const responses = (op.responses ?? {}) as Json;
  return Object.keys(responses).find((s) => /^2\d\d$/.test(s)) ?? '200';
}

/** Adds the examples, schemas and descriptions of examples.ts to the operations that lack them. */
function documentOperations(paths: Json): void {
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = (item as Json)[method] as Json | undefined;
      if (!op) continue;
      const doc = OPERATION_DOCS[`${method.toUpperCase()} ${path}`];
      if (!doc) continue;
      if (!op.description && doc.description) op.description = doc.description;
      const requestBody = op.requestBody as { content?: Record<string, Json> } | undefined;
      if (doc.request !== undefined && requestBody?.content) {
        for (const media of Object.values(requestBody.content)) if (media.example === undefined && media.examples === undefined) media.example = doc.request;
      }
      for (const param of (op.parameters ?? []) as Json[]) {
        const value = doc.parameters?.[param.name as string];
        if (value !== undefined && param.example === undefined) param.example = value;
      }
      const status = successStatus(op, doc);
      const responses = (op.responses ??= {}) as Record<string, Json>;
      // A route declaring no success response gets @fastify/swagger's placeholder "200"; the real one is `status`.
      if (status !== '200' && responses['200'] && !responses['200'].content) delete responses['200'];
      const response = (responses[status] ??= { description: 'Success' });
      if (doc.response === undefined) continue;
      const contentType = doc.contentType ?? 'application/json';
      const content = (response.content ??= {}) as Record<string, Json>;
      const media = (content[contentType] ??= {});
      media.schema ??= doc.schema ?? {};
      if (media.example === undefined && media.examples === undefined) media.example = doc.response;
    }
  }
}

/** The document served at /api/openapi.json. */
export function finishOpenapi(document: Json): Json {
  documentOperations((document.paths ?? {}) as Json);
  const webhooks: Json = {};
  for (const type of EVENT_TYPES) {
    webhooks[type] = {
      post: {
        tags: ['Webhooks'],
        summary: `${type} event`,
        description: `${EVENT_DESCRIPTIONS[type]} Signed per Standard Webhooks (\`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\`) and sent with \`x-event-type\` and \`x-event-origin\`; verify with @engage/sdk's \`verifyWebhook\`. Answer 2xx; anything else is retried for about three days. See docs/events.md.`,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { ...WebhookPayloadSchema, properties: { ...WebhookPayloadSchema.properties, eventType: { type: 'string', const: type } } }, example: { ...webhookExample, eventType: type } } },
        },
        responses: { '2XX': { description: 'Received. Any other answer (or none within 10 s) is retried.' } },
      },
    };
  }
  document.webhooks = webhooks;
  return document;
}
