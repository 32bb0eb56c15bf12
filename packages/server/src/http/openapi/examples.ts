/**
 * Examples for the OpenAPI document, per operation (`METHOD /path` as OpenAPI spells it). Routes may
 * instead carry `examples` in their own body/response schemas; document.ts uses those first.
 * Shapes follow real responses captured from a running Engage.
 */
import { ContractLeadSchema, ConversationSchema, SentMessageSchema } from '../../events/payload-schema.ts';

export interface OperationDoc {
  /** Used when the route has no description of its own. */
  description?: string;
  /** The request body's example (JSON unless the route consumes something else). */
  request?: unknown;
  /** The success response's example. */
  response?: unknown;
  /** Status of the success response. Default: the route's first 2xx, else 200. */
  status?: number;
  /** Content type of the success response. Default application/json. */
  contentType?: string;
  /** A schema for the success response when the route declares none (documentation only). */
  schema?: unknown;
  /** Example values of path and query parameters (for operations without a body or content). */
  parameters?: Record<string, string>;
}

const T = '2025-03-04T11:33:52.948Z';
const CAMPAIGN_ID = '67c6e55c1b1e6a4e7a8b9c0d';
const LIST_ID = '67c6e55c1b1e6a4e7a8b9c10';
const LEAD_ID = '67c6e55d1b1e6a4e7a8b9c11';
const JOB_ID = '67c6e55d1b1e6a4e7a8b9c12';
const SOURCE_ID = 'c0f396bc-072c-4cf9-9726-12b14cfc731b';
const KEY = 'kT3q9ZC4m2XvO8rB1sYwQe5uJ7nLh0aPdFgHiKjMnOp';
const BASE = 'https://engage.example.com/api/public/engage';

export const endpointsExample = {
  embeddableWidget: `https://engage.example.com/engage?key=${KEY}`,
  conversationEndpoint: `${BASE}/conversation?key=${KEY}`,
  sendMessageEndpoint: `${BASE}/conversation/send?key=${KEY}`,
  dispositionEndpoint: `${BASE}/conversation/disposition?key=${KEY}`,
};

export const leadExample = {
  id: LEAD_ID, orgId: 1, workspaceId: 1, messagingCampaignId: CAMPAIGN_ID, messagingListId: LIST_ID,
  status: 'DELIVERED', statusMessage: null, carrier: 'T-Mobile USA, Inc.', normalizedCarrier: 'T-Mobile',
  phone: '+15555551212', fromNumber: '+12025550100', timeZone: 'America/New_York', zip: '12345', state: 'NY',
  lat: 42.8142, lon: -73.9396, leadData: { Phone: '(555) 555-1212', FirstName: 'John', Zip: '12345' },
  created: T, sent: '2025-03-04T11:33:53.120Z', result: '2025-03-04T11:33:54.002Z', retryAfter: null,
  conversationStarted: true, disposition: null, dispositionTimestamp: null,
};

export const conversationExample = {
  data: {
    campaign: { id: CAMPAIGN_ID, name: 'Spring offer', senderSourceType: 'TEN_DLC' },
    lead: leadExample,
    messages: [
      { id: '67c6e55e1b1e6a4e7a8b9c13', sender: '+12025550100', direction: 'OUTBOUND', timestamp: '2025-03-04T11:33:53.120Z', message: 'Hi John - reply to chat with us about the spring offer.' },
      { id: '67c6e5701b1e6a4e7a8b9c14', sender: '+15555551212', direction: 'INBOUND', timestamp: '2025-03-04T11:34:12.511Z', message: 'Yes, tell me more' },
    ],
    dispositions: [
      { id: '0b8f1c52-3f7e-4a43-9d1e-5a0c2b7f4e11', disposition: 'Interested', success: true, doNotContact: false },
      { id: '6d2a9e37-81b4-4c0a-a7f5-93e1d8c6b222', disposition: 'Do not contact', success: false, doNotContact: true },
    ],
  },
  endpoints: endpointsExample,
};

export const webhookExample = { eventType: 'ConversationStarted', ...conversationExample };

const campaignExample = {
  id: CAMPAIGN_ID, orgId: 1, workspaceId: 1, name: 'Spring offer', created: T, updated: T,
  campaignStatus: 'ACTIVE', sendingStatus: 'SENDING', sendingStatusDescription: 'Sending to eligible leads.',
  nextRunTime: null, senderSourceType: 'TEN_DLC', senderSourceId: SOURCE_ID, carrierDailyLimits: [],
  schedule: { monday: [{ start: 540, end: 1200 }], tuesday: [{ start: 540, end: 1200 }], wednesday: [{ start: 540, end: 1200 }], thursday: [{ start: 540, end: 1200 }], friday: [{ start: 540, end: 1200 }], saturday: [], sunday: [], exceptions: [] },
  messages: {
    outgoingMessage: 'Hi {{FirstName}} - reply to chat with us about the spring offer.', responseMessage: 'Thanks {{FirstName}}! An agent will text you shortly.',
    helpMessage: 'Spring offer: reply STOP to opt out.', stopMessage: 'You are unsubscribed. Reply START to resubscribe.', startMessage: 'You are resubscribed. Reply STOP to unsubscribe.',
  },
  webhooks: { deliveryResult: null, conversationStarted: 'https://crm.example.com/engage', incomingMessage: 'https://crm.example.com/engage', disposition: 'https://crm.example.com/engage', optOut: 'https://crm.example.com/engage', optIn: null },
  notifications: { sendConversationEmail: false, conversationEmail: { to: [], cc: [], bcc: [], from: null, replyTo: null, subject: '', htmlBody: '', textBody: '' } },
  customFields: [{ name: 'FirstName', type: 'text' }],
  dispositions: conversationExample.data.dispositions,
  automations: [],
  followUps: [],
  events: [{ type: 'STATUS_CHANGED', fromStatus: 'READY', toStatus: 'ACTIVE', detail: 'activate', timestamp: T }],
};
const campaignInput = {
  name: 'Spring offer', senderSourceId: SOURCE_ID, schedule: campaignExample.schedule,
  messages: { outgoingMessage: campaignExample.messages.outgoingMessage, responseMessage: campaignExample.messages.responseMessage },
  dispositions: [{ disposition: 'Interested', success: true }, { disposition: 'Do not contact', doNotContact: true }],
  webhooks: { conversationStarted: 'https://crm.example.com/engage', incomingMessage: 'https://crm.example.com/engage' },
};
const listExample = { id: LIST_ID, campaignId: CAMPAIGN_ID, name: 'March leads', listStatus: 'ACTIVE', leads: 1250, created: T };
const importJob = {
  jobId: JOB_ID, listId: LIST_ID, campaignId: CAMPAIGN_ID, fileName: 'march.csv', status: 'COMPLETED', message: null, total: 3, processed: 3, progress: 1,
  accepted: 2, rejected: 1, reasons: { INVALID_PHONE: 1 }, rejections: [{ row: 2, reason: 'INVALID_PHONE', value: 'n/a' }], rejectionsOmitted: 0,
  created: T, started: T, finished: '2025-03-04T11:33:55.410Z',
};
const senderSource = {
  id: SOURCE_ID, name: 'Main 10DLC', senderSourceType: 'TEN_DLC', provider: 'twilio:6b0551…', mps: null, numberMps: null, areaCodeMatch: false,
  numbers: ['+12025550100', '+12025550101'], created: T, updated: T,
};
const credential = {
  id: 'a3e1c9d2-5b7f-4e08-9c61-2f4d8b0e7a13', provider: 'twilio', name: 'Production Twilio', settings: { accountSid: 'AC0123456789abcdef0123456789abcdef', messagingServiceSid: null, lookupLineType: false },
  secretHints: { authToken: '…9f2c' }, providerKey: 'twilio:a3e1c9d2-5b7f-4e08-9c61-2f4d8b0e7a13',
  webhookUrls: { inbound: 'https://engage.example.com/api/providers/twilio/a3e1c9d2-5b7f-4e08-9c61-2f4d8b0e7a13/inbound', status: 'https://engage.example.com/api/providers/twilio/a3e1c9d2-5b7f-4e08-9c61-2f4d8b0e7a13/status' },
  created: T, updated: T,
};
const apiKey = { id: '7', name: 'CRM integration', hint: '…x9Zq', created: T, revokedAt: null };
const user = { id: '3', email: 'agent@example.com', name: 'Alex Agent', role: 'agent', created: T, disabled: false };
const delivery = { id: 41, url: 'https://crm.example.com/engage', status: 'DELIVERED', attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null };
const event = { id: '67c6e5711b1e6a4e7a8b9c15', eventType: 'ConversationStarted', campaignId: CAMPAIGN_ID, leadId: LEAD_ID, created: T, deliveries: [delivery] };
const simMessage = { id: '67c6e5701b1e6a4e7a8b9c14', from: '+15555551212', to: '+12025550100', text: 'Yes, tell me more', direction: 'INBOUND', timestamp: T };
const session = { user, workspace: { id: 1, name: 'Default' }, csrfToken: 'c1d2e3f4a5b6' };
const conversationRow = { leadId: LEAD_ID, campaignId: CAMPAIGN_ID, campaignName: 'Spring offer', phone: '+15555551212', lastMessage: 'Yes, tell me more', lastMessageAt: T, disposition: null, assignee: null };
const object = { type: 'object' };

export const OPERATION_DOCS: Record<string, OperationDoc> = {
  'GET /api/public/engage/webhook-secret': { response: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
  'POST /api/public/engage/webhook-secret/rotate': { request: { overlapSeconds: 86400 }, response: { secret: 'whsec_3bZ1l9cN0qk2mDq8TQ2s1c0p0ZpX1rYd', previousSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', previousSecretExpires: '2025-03-05T11:33:52.948Z' } },
  'GET /api/public/engage/workspace': { description: 'The workspace of the API key: name, quiet-hours policy and time zone.', response: { id: 1, orgId: 1, name: 'Default', quietHoursPolicy: 'US_TCPA', timeZone: 'America/New_York', created: T, updated: T } },
  'PATCH /api/public/engage/workspace': { request: { quietHoursPolicy: 'NONE' }, response: { id: 1, orgId: 1, name: 'Default', quietHoursPolicy: 'NONE', timeZone: 'America/New_York', created: T, updated: T } },
  'GET /api/public/engage/events': { response: { events: [event], nextCursor: null } },
  'GET /api/public/engage/events/{id}': {
    response: {
      ...event, payload: { eventType: webhookExample.eventType, data: webhookExample.data },
      deliveries: [{ ...delivery, attemptLog: [{ attemptedAt: T, requestHeaders: { 'content-type': 'application/json', 'webhook-id': 'msg_67c6e5711b1e6a4e7a8b9c15' }, responseStatus: 200, responseBodyExcerpt: 'ok', durationMs: 84, error: null }] }],
    },
  },
  'POST /api/public/engage/events/{id}/redeliver': { response: { deliveryIds: [41] } },
  'POST /api/public/engage/events/redeliver': { request: { from: '2025-03-04T00:00:00.000Z', to: '2025-03-05T00:00:00.000Z', campaignId: CAMPAIGN_ID }, response: { queued: 2 } },
  'GET /api/public/engage/webhook-endpoints': { schema: object, response: { endpoints: [{ campaignId: CAMPAIGN_ID, url: 'https://crm.example.com/engage', failingSince: null, consecutiveFailures: 0, lastSuccess: T, disabled: false, disabledAt: null, disabledReason: null }] } },
  'POST /api/public/engage/webhook-endpoints/enable': { request: { campaignId: CAMPAIGN_ID, url: 'https://crm.example.com/engage' }, response: { enabled: true } },
  'GET /api/public/engage/suppressions': { response: { suppressions: [{ phone: '+15555551212', kind: 'OPT_OUT', source: 'KEYWORD', created: T }], nextCursor: null } },
  'POST /api/public/engage/suppressions': { request: { phone: '+15555551212', kind: 'DNC' }, response: { phone: '+15555551212', kind: 'DNC', source: 'API', created: T } },
  'DELETE /api/public/engage/suppressions/{phone}': { parameters: { phone: '+15555551212' } },
  'GET /api/public/engage/consent': { response: { phone: '+15555551212', records: [{ id: 9, phone: '+15555551212', kind: 'OPT_OUT', action: 'ADD', source: 'KEYWORD', detail: null, messageId: '67c6e5701b1e6a4e7a8b9c14', created: T }] } },
  'GET /api/public/engage/consent/export.csv': { contentType: 'text/csv', schema: { type: 'string' }, response: 'id,created,phone,kind,action,source,messageId,detail\r\n9,2025-03-04T11:33:52.948Z,+15555551212,OPT_OUT,ADD,KEYWORD,67c6e5701b1e6a4e7a8b9c14,\r\n' },
  'GET /api/public/engage/campaigns': { response: { campaigns: [campaignExample], nextCursor: null } },
  'POST /api/public/engage/campaigns': { request: campaignInput, response: { ...campaignExample, campaignStatus: 'DRAFT', sendingStatus: 'IDLE', sendingStatusDescription: 'Not sending: the campaign is not active.' } },
  'GET /api/public/engage/campaigns/{id}': { description: 'The campaign with its lifecycle `events`.', response: campaignExample },
  'PATCH /api/public/engage/campaigns/{id}': { request: { name: 'Spring offer (week 2)' }, response: { ...campaignExample, name: 'Spring offer (week 2)' } },
  'POST /api/public/engage/campaigns/{id}/submit': { response: { ...campaignExample, campaignStatus: 'PENDING_APPROVAL', sendingStatus: 'IDLE' } },
  'POST /api/public/engage/campaigns/{id}/approve': { response: { ...campaignExample, campaignStatus: 'READY', sendingStatus: 'IDLE' } },
  'POST /api/public/engage/campaigns/{id}/activate': { response: campaignExample },
  'POST /api/public/engage/campaigns/{id}/pause': { response: { ...campaignExample, campaignStatus: 'PAUSED', sendingStatus: 'IDLE' } },
  'POST /api/public/engage/campaigns/{id}/complete': { response: { ...campaignExample, campaignStatus: 'COMPLETED', sendingStatus: 'COMPLETE' } },
  'GET /api/public/engage/sender-sources': { response: { senderSources: [senderSource] } },
  'POST /api/public/engage/sender-sources': { request: { name: 'Main 10DLC', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12025550100'] }, response: senderSource },
  'GET /api/public/engage/sender-sources/{id}': { response: senderSource },
  'PATCH /api/public/engage/sender-sources/{id}': { request: { name: 'Main 10DLC (east)' }, response: { ...senderSource, name: 'Main 10DLC (east)' } },
  'DELETE /api/public/engage/sender-sources/{id}': { parameters: { id: SOURCE_ID } },
  'POST /api/public/engage/campaigns/{id}/automations/test': {
    request: { message: 'What is the price?' },
    response: { keyword: null, note: null, fires: [{ ruleId: '5f0c2a7e-1d3b-4c8e-9a6f-2b7d4e1c0a99', name: 'Price question', index: 0, actions: [{ type: 'REPLY', message: 'Plans start at $19/month.' }] }], timedOut: [] },
  },
  'GET /api/public/engage/leads/{id}/automation': { schema: object, response: { leadId: LEAD_ID, state: {}, timers: [] } },
  'POST /api/public/engage/lead/load': {
    request: { campaignId: CAMPAIGN_ID, listName: 'API Leads', deDupe: true, fields: [{ name: 'Phone', value: '(555) 555-1212' }, { name: 'FirstName', value: 'John' }, { name: 'Zip', value: '12345' }] },
    response: { status: 'Accepted', reason: null, message: 'Lead accepted', leadId: LEAD_ID, listId: LIST_ID },
  },
  'GET /api/public/engage/lists': { description: 'Every list of the workspace, newest first, with its number of leads; `campaignId` filters.', schema: object, response: { lists: [listExample] } },
  'GET /api/public/engage/campaigns/{id}/lists': { schema: object, response: { lists: [{ ...listExample, pending: 310 }] } },
  'POST /api/public/engage/lists/{id}/pause': { schema: object, response: { ...listExample, listStatus: 'PAUSED', leads: undefined } },
  'POST /api/public/engage/lists/{id}/activate': { schema: object, response: { ...listExample, leads: undefined } },
  'GET /api/public/engage/lists/{id}/leads': { schema: object, response: { leads: [leadExample], nextCursor: LEAD_ID } },
  'GET /api/public/engage/leads/{id}': { description: 'The lead in the webhook payload\'s lead shape.', schema: ContractLeadSchema, response: leadExample },
  'POST /api/public/engage/list/load': {
    request: { campaignId: CAMPAIGN_ID, file: '(march.csv)', processRequest: '{"deDupe":true,"firstRowHeaders":true,"mappedCols":[{"columnIndex":0,"columnId":"Phone"},{"columnIndex":1,"columnId":"FirstName"}]}' },
    response: { listId: LIST_ID, jobId: JOB_ID, status: 'PROCESSING' },
  },
  'GET /api/public/engage/list/load/{jobId}': { response: importJob },
  'DELETE /api/public/engage/list/load/{jobId}': { response: { ...importJob, status: 'CANCELLED', accepted: 0, rejected: 0, reasons: {}, rejections: [] } },
  'POST /api/public/engage/list/load/{jobId}/cancel': { response: { ...importJob, status: 'CANCELLED', accepted: 0, rejected: 0, reasons: {}, rejections: [] } },
  'GET /api/public/engage/conversation': { schema: ConversationSchema, response: conversationExample, parameters: { key: KEY } },
  'POST /api/public/engage/conversation/send': {
    request: { message: 'Hello, how can we help you today?' }, schema: SentMessageSchema,
    response: { id: '67c6e5801b1e6a4e7a8b9c16', sender: '+12025550100', direction: 'OUTBOUND', timestamp: T, message: 'Hello, how can we help you today?', status: 'QUEUED' },
  },
  'POST /api/public/engage/conversation/disposition': { request: { disposition: 'Interested' }, schema: ConversationSchema, response: { ...conversationExample, data: { ...conversationExample.data, lead: { ...leadExample, disposition: 'Interested', dispositionTimestamp: T } } } },
  'POST /api/public/engage/leads/{id}/conversation-key': { schema: object, response: { endpoints: endpointsExample } },
  'GET /engage': { contentType: 'text/html', schema: { type: 'string' }, response: '<!doctype html><html><head><title>Conversation</title>…', parameters: { key: KEY } },
  'GET /api/public/engage/conversation/state': { response: { data: conversationExample.data, delivery: { '67c6e55e1b1e6a4e7a8b9c13': { status: 'DELIVERED', statusMessage: null } }, suppression: null, media: {} }, parameters: { key: KEY } },
  'GET /api/public/engage/conversation/stream': { contentType: 'text/event-stream', schema: { type: 'string' }, response: 'event: change\ndata: {"leadId":"67c6e55d1b1e6a4e7a8b9c11"}\n\n', parameters: { key: KEY } },
  'POST /api/simulator/carrier/messages': { request: { from: '+12025550100', to: '+15555551212', text: 'Hi John' }, response: { id: 'sim_67c6e5801b1e6a4e7a8b9c16', status: 'accepted' } },
  'GET /simulator': { contentType: 'text/html', schema: { type: 'string' }, response: '<!doctype html><html><head><title>Engage simulator</title>…' },
  'GET /api/simulator/messages': { response: { messages: [{ ...simMessage, direction: 'OUTBOUND', from: '+12025550100', to: '+15555551212', text: 'Hi John - reply to chat with us.' }, simMessage] }, parameters: { phone: '+15555551212' } },
  'POST /api/simulator/messages': { request: { from: '+15555551212', to: '+12025550100', text: 'Yes, tell me more' }, response: simMessage },
  'POST /api/public/engage/provider-credentials': { request: { provider: 'twilio', name: 'Production Twilio', accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: '0123456789abcdef0123456789ab9f2c' }, response: credential },
  'GET /api/public/engage/provider-credentials': { description: "The workspace's provider accounts; secrets appear only as hints.", response: { credentials: [credential] } },
  'GET /api/public/engage/provider-credentials/{id}': { description: 'One provider account; secrets appear only as hints.', response: credential },
  'PATCH /api/public/engage/provider-credentials/{id}': {
    description: 'Switches on the line type lookup of a Twilio account.',
    request: { lookupLineType: true }, response: { ...credential, settings: { ...credential.settings, lookupLineType: true } }, parameters: { id: credential.id },
  },
  'DELETE /api/public/engage/provider-credentials/{id}': { description: 'Deletes the account; 409 while a sender source still uses it.', parameters: { id: credential.id } },
  'POST /api/public/engage/provider-credentials/{id}/sender-sources': { request: { name: 'Main 10DLC', senderSourceType: 'TEN_DLC', numbers: ['+12025550100'] }, response: senderSource },
  'POST /api/console/session': { request: { email: 'owner@example.com', password: 'correct horse battery staple' }, response: session },
  'GET /api/console/session': { description: 'The signed-in console user, workspace and CSRF token.', response: session },
  'DELETE /api/console/session': { description: 'Signs out.', parameters: {} },
  'GET /api/public/engage/users': { description: "The workspace's console users.", response: { users: [user] } },
  'POST /api/public/engage/users': { request: { email: 'agent@example.com', name: 'Alex Agent', role: 'agent', password: 'a long passphrase' }, response: user },
  'PATCH /api/public/engage/users/{id}': { request: { role: 'admin' }, response: { ...user, role: 'admin' } },
  'DELETE /api/public/engage/users/{id}': { status: 204, parameters: { id: user.id } },
  'GET /api/public/engage/api-keys': { response: { apiKeys: [apiKey] } },
  'POST /api/public/engage/api-keys': { request: { name: 'CRM integration' }, response: { id: '7', key: 'engk_3q9ZC4m2XvO8rB1sYwQe5uJ7nLh0x9Zq', hint: '…x9Zq' } },
  'DELETE /api/public/engage/api-keys/{id}': { status: 204, parameters: { id: '7' } },
  'GET /api/console/campaign-counts': { schema: object, response: { campaigns: [{ campaignId: CAMPAIGN_ID, leads: 1250, pending: 310, queued: 0, sent: 20, delivered: 900, failed: 20, suppressed: 0, replies: 140, dispositioned: 35, optOuts: 12 }] } },
  'GET /api/console/campaigns/{id}/dashboard': { schema: object, response: { campaignId: CAMPAIGN_ID, funnel: { leads: 1250, sent: 940, delivered: 900, replied: 140 }, rates: { reply: 0.155, optOut: 0.013 } } },
  'GET /api/console/conversations': { schema: object, response: { conversations: [conversationRow], nextCursor: null } },
  'GET /api/console/conversations/{leadId}': { schema: object, response: { ...conversationRow, lead: leadExample, messages: conversationExample.data.messages } },
  'PUT /api/console/conversations/{leadId}/assignee': { request: { userId: user.id }, schema: object, response: { ...conversationRow, assignee: user.id } },
};
