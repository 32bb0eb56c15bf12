/**
 * A client for one conversation, built from a webhook's (or GET conversation's) `endpoints`.
 * The endpoints carry the conversation key: no API key is needed, and the key is all it can reach.
 */
import type { Conversation, Endpoints, SentMessage } from './events.ts';
import { request, type HttpOptions } from './http.ts';

export class ConversationClient {
  readonly endpoints: Endpoints;

  /**
   * @param source the `endpoints` of a webhook payload, or the whole payload
   * @param opts retries (default 3, on 5xx), timeout (default 10 s), fetch
   */
  constructor(source: Endpoints | { endpoints: Endpoints }, private readonly opts: HttpOptions = {}) {
    const endpoints = 'endpoints' in source ? source.endpoints : source;
    for (const k of ['conversationEndpoint', 'sendMessageEndpoint', 'dispositionEndpoint'] as const) {
      if (typeof endpoints?.[k] !== 'string') throw new TypeError(`ConversationClient: endpoints.${k} is missing`);
    }
    this.endpoints = endpoints;
  }

  /** The whole conversation now: every message and the current lead. */
  get(): Promise<Conversation> {
    return request<Conversation>({ method: 'GET', url: this.endpoints.conversationEndpoint }, this.opts);
  }

  /**
   * Texts the lead from the conversation's number.
   * @throws ConflictError (409, code `OPTED_OUT`) when the lead opted out or is do-not-contact
   * @throws UnauthorizedError (401) when the conversation key was revoked
   */
  send(text: string): Promise<SentMessage> {
    return request<SentMessage>({ method: 'POST', url: this.endpoints.sendMessageEndpoint, body: new URLSearchParams({ message: text }) }, this.opts);
  }

  /**
   * Records the final disposition (one of `data.dispositions[].disposition`); fires `Disposition`.
   * @throws UnprocessableError (422, code `UNKNOWN_DISPOSITION`, see `validDispositions`)
   */
  dispose(disposition: string): Promise<Conversation> {
    return request<Conversation>({ method: 'POST', url: this.endpoints.dispositionEndpoint, body: new URLSearchParams({ disposition }) }, this.opts);
  }
}
