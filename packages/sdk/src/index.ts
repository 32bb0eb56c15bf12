/**
 * @engage/sdk — what an integrator of Engage needs: the webhook event types, Standard Webhooks
 * verification, a client for one conversation (from a payload's `endpoints`) and a management
 * client (campaigns, leads, lists, sender sources, webhook secret). No runtime dependencies.
 */
export * from './events.ts';
export * from './verify.ts';
export * from './http.ts';
export * from './conversation.ts';
export * from './management.ts';
export type * from './resources.ts';
