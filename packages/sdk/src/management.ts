/**
 * The management API client: campaigns, leads (single and CSV lists), lists, sender sources and the
 * webhook secret, authenticated with a workspace API key (`X-API-KEY`).
 */
import type { Conversation, Endpoints, Lead } from './events.ts';
import { request, type HttpOptions, type RequestSpec } from './http.ts';
import type {
  CampaignInput, CampaignResource, LeadList, LeadLoadRequest, LeadLoadResult, ListLoadAccepted, ListLoadJob,
  ListProcessRequest, Page, SenderSource,
} from './resources.ts';

export interface EngageClientOptions extends HttpOptions {
  /** Engage's base URL, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** A workspace API key (`engk_…`). */
  apiKey: string;
}

export interface ListLoadInput {
  campaignId: string;
  /** The CSV file's content. */
  file: string | Uint8Array | Blob;
  /** The file's name; the default list name. Default "leads.csv". */
  fileName?: string;
  processRequest: ListProcessRequest;
}

const P = '/api/public/engage';

export class EngageClient {
  private readonly base: string;
  private readonly http: HttpOptions;
  private readonly apiKey: string;

  constructor(opts: EngageClientOptions) {
    if (!opts.baseUrl) throw new TypeError('EngageClient: baseUrl is required');
    if (!opts.apiKey) throw new TypeError('EngageClient: apiKey is required');
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    const { baseUrl: _b, apiKey: _k, ...http } = opts;
    this.http = http;
  }

  private call<T>(method: RequestSpec['method'], path: string, body?: unknown): Promise<T> {
    return request<T>({ method, url: this.base + path, headers: { 'x-api-key': this.apiKey }, body }, this.http);
  }

  readonly campaigns = {
    /** Newest first; pass `nextCursor` back as `cursor` for the next page. */
    list: async (opts: { limit?: number; cursor?: string } = {}): Promise<Page<CampaignResource>> => {
      const r = await this.call<{ campaigns: CampaignResource[]; nextCursor: string | null }>('GET', `${P}/campaigns${query(opts)}`);
      return { items: r.campaigns, nextCursor: r.nextCursor };
    },
    get: (id: string) => this.call<CampaignResource>('GET', `${P}/campaigns/${seg(id)}`),
    /** Created in DRAFT. */
    create: (input: CampaignInput) => this.call<CampaignResource>('POST', `${P}/campaigns`, input),
    /** While ACTIVE only `name` may change (ConflictError `CAMPAIGN_ACTIVE`). */
    update: (id: string, patch: Partial<CampaignInput>) => this.call<CampaignResource>('PATCH', `${P}/campaigns/${seg(id)}`, patch),
    submit: (id: string) => this.call<CampaignResource>('POST', `${P}/campaigns/${seg(id)}/submit`),
    approve: (id: string) => this.call<CampaignResource>('POST', `${P}/campaigns/${seg(id)}/approve`),
    activate: (id: string) => this.call<CampaignResource>('POST', `${P}/campaigns/${seg(id)}/activate`),
    pause: (id: string) => this.call<CampaignResource>('POST', `${P}/campaigns/${seg(id)}/pause`),
    complete: (id: string) => this.call<CampaignResource>('POST', `${P}/campaigns/${seg(id)}/complete`),
  };

  readonly leads = {
    /** Loads one lead synchronously; a rejection is a result (`status: "Rejected"`), not an error. */
    load: (input: LeadLoadRequest) => this.call<LeadLoadResult>('POST', `${P}/lead/load`, input),
    get: (id: string) => this.call<Lead>('GET', `${P}/leads/${seg(id)}`),
    /** Revokes the lead's conversation key and returns endpoints with a new one. */
    rotateConversationKey: (id: string) => this.call<{ endpoints: Endpoints }>('POST', `${P}/leads/${seg(id)}/conversation-key`),
    /** Uploads a CSV list; answers at once, the file loads in the background (see `listLoad`). */
    loadList: (input: ListLoadInput): Promise<ListLoadAccepted> => {
      const form = new FormData();
      form.set('campaignId', input.campaignId);
      form.set('processRequest', JSON.stringify(input.processRequest));
      const blob = input.file instanceof Blob ? input.file : new Blob([typeof input.file === 'string' ? input.file : new Uint8Array(input.file)], { type: 'text/csv' });
      form.set('file', blob, input.fileName ?? 'leads.csv');
      return this.call<ListLoadAccepted>('POST', `${P}/list/load`, form);
    },
    listLoad: (jobId: string) => this.call<ListLoadJob>('GET', `${P}/list/load/${seg(jobId)}`),
    cancelListLoad: (jobId: string) => this.call<ListLoadJob>('POST', `${P}/list/load/${seg(jobId)}/cancel`),
    /** Polls a list load until it is no longer PROCESSING. */
    waitForListLoad: async (jobId: string, opts: { intervalMs?: number; onProgress?: (job: ListLoadJob) => void } = {}): Promise<ListLoadJob> => {
      for (;;) {
        const job = await this.leads.listLoad(jobId);
        opts.onProgress?.(job);
        if (job.status !== 'PROCESSING') return job;
        await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
      }
    },
  };

  readonly lists = {
    list: async (opts: { campaignId?: string } = {}) => (await this.call<{ lists: LeadList[] }>('GET', `${P}/lists${query(opts)}`)).lists,
    ofCampaign: async (campaignId: string) => (await this.call<{ lists: LeadList[] }>('GET', `${P}/campaigns/${seg(campaignId)}/lists`)).lists,
    pause: (id: string) => this.call<LeadList>('POST', `${P}/lists/${seg(id)}/pause`),
    activate: (id: string) => this.call<LeadList>('POST', `${P}/lists/${seg(id)}/activate`),
    leads: async (id: string, opts: { limit?: number; cursor?: string } = {}): Promise<Page<Lead>> => {
      const r = await this.call<{ leads: Lead[]; nextCursor: string | null }>('GET', `${P}/lists/${seg(id)}/leads${query(opts)}`);
      return { items: r.leads, nextCursor: r.nextCursor };
    },
  };

  readonly senderSources = {
    list: async () => (await this.call<{ senderSources: SenderSource[] }>('GET', `${P}/sender-sources`)).senderSources,
  };

  /** The workspace's Standard Webhooks secret (`whsec_…`), for `verifyWebhook`. */
  async webhookSecret(): Promise<string> {
    return (await this.call<{ secret: string }>('GET', `${P}/webhook-secret`)).secret;
  }

  /**
   * Replaces the webhook secret. For `overlapSeconds` (server default 86400; 0 = none) every
   * webhook carries both signatures, so receivers can switch to the new secret without downtime.
   */
  rotateWebhookSecret(opts: { overlapSeconds?: number } = {}): Promise<{ secret: string; previousSecret: string | null; previousSecretExpires: string | null }> {
    return this.call('POST', `${P}/webhook-secret/rotate`, opts);
  }
}

export type { Conversation };

function seg(id: string): string {
  return encodeURIComponent(id);
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
