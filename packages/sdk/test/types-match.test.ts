/**
 * The SDK's event types cannot drift from the server's: this file is compiled by
 * `tsc -p packages/sdk/tsconfig.json` (part of `npm run typecheck`), and each `Check<…>` below fails
 * the type check if a property is added, removed, renamed or retyped on either side. The server's
 * payload types (events/payload.ts, leads/view.ts) are what the server builds; its TypeBox schemas
 * (events/payload-schema.ts) are what OpenAPI documents and the captured-payload test validates.
 */
import type { Static } from 'typebox';
import { describe, expect, it } from 'vitest';
import * as server from '../../server/src/events/payload.ts';
import type * as schema from '../../server/src/events/payload-schema.ts';
import type { ContractLeadSchema, ConversationSchema, SentMessageSchema, WebhookPayloadSchema } from '../../server/src/events/payload-schema.ts';
import * as sdk from '../src/index.ts';

/** True only when A and B are the same type (property sets and types both ways). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** A and B have exactly the same keys, and every A is a B. */
type Covers<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? (A extends B ? true : false) : false) : false;
type Check<T extends true> = T;

// The server's own TypeScript types.
export type _EventType = Check<Equal<sdk.EventType, server.EventType>>;
export type _Message = Check<Equal<sdk.Message, server.ContractMessage>>;
export type _Disposition = Check<Equal<sdk.Disposition, server.ContractDisposition>>;
export type _Endpoints = Check<Equal<sdk.Endpoints, server.Endpoints>>;
export type _Campaign = Check<Equal<sdk.Campaign, server.ConversationData['campaign']>>;
// The SDK's lead allows `created: null` (the contract documents it nullable); the server always knows it.
export type _Lead = Check<Covers<server.ConversationData['lead'], sdk.Lead>>;
export type _Data = Check<Covers<server.ConversationData, sdk.ConversationData>>;

// The TypeBox schemas behind OpenAPI and the runtime validation.
export type _SchemaLead = Check<Covers<Static<typeof ContractLeadSchema>, sdk.Lead>>;
export type _SchemaPayload = Check<Covers<Static<typeof WebhookPayloadSchema>, sdk.WebhookEvent>>;
export type _SchemaPayloadBack = Check<Equal<Static<typeof WebhookPayloadSchema>['eventType'], sdk.WebhookEvent['eventType']>>;
export type _SchemaConversation = Check<Covers<Static<typeof ConversationSchema>, sdk.Conversation>>;
export type _SchemaSent = Check<Covers<Static<typeof SentMessageSchema>, sdk.SentMessage>>;
export type _SchemaSentBack = Check<Covers<sdk.SentMessage, Static<typeof SentMessageSchema>>>;
export type _SchemaMessage = Check<Equal<Static<typeof schema.ContractMessageSchema>, sdk.Message>>;

describe('SDK types match the server', () => {
  it('lists the same event types in the same order', () => {
    expect(sdk.EVENT_TYPES).toEqual(server.EVENT_TYPES);
  });

  it('endpointsFor builds exactly the SDK Endpoints keys', () => {
    const endpoints: sdk.Endpoints = server.endpointsFor('http://localhost:3000', 'k');
    expect(Object.keys(endpoints).sort()).toEqual(['conversationEndpoint', 'dispositionEndpoint', 'embeddableWidget', 'sendMessageEndpoint']);
    expect(() => new sdk.ConversationClient(endpoints)).not.toThrow();
  });
});
