/**
 * Test support (imported by tests only): a local fake of Twilio's Messages API on 127.0.0.1 that
 * speaks Twilio's wire format — form-encoded creates with basic auth, Message resources and error
 * bodies as JSON — and plays Twilio's side of the webhooks: status callbacks and incoming
 * messages, form-encoded and signed with the official `twilio` library. It also answers Lookup v2
 * (`GET /v2/PhoneNumbers/{E.164}?Fields=line_type_intelligence`, point ENGAGE_TWILIO_LOOKUP_URL at it)
 * and lists the messages it holds (`GET …/Messages.json` with `To`, `From`, `PageSize`, `Page`:
 * newest first, in Twilio's page format with `next_page_uri`).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import twilio from 'twilio';
import { closeServer, listenOnLoopback, readBody } from '../../../test/loopback.ts';

export const FIXTURES = new URL('./fixtures/', import.meta.url);
export const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  form: Record<string, string>;
}

export interface ScriptedAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Answer only after this long (to play a slow provider), ms. */
  delayMs?: number;
}

export interface CallbackResult {
  status: number;
  text: string;
  contentType: string | null;
}

/** Posts a form to Engage as Twilio does: `X-Twilio-Signature` computed by the official library. */
export async function postAsTwilio(url: string, authToken: string, params: Record<string, string>, opts: { signature?: string | null } = {}): Promise<CallbackResult> {
  const signature = opts.signature === undefined ? twilio.getExpectedTwilioSignature(authToken, url, params) : opts.signature;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'user-agent': 'TwilioProxy/1.1', 'i-twilio-idempotency-token': crypto.randomUUID() };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') };
}

export class FakeTwilio {
  readonly requests: RecordedRequest[] = [];
  /** Answers for the next creates, in order; when empty, a 201 Message resource. */
  readonly script: ScriptedAnswer[] = [];
  /** Status callbacks played after each accepted create, in this order (out of order on purpose if you like). */
  callbackStatuses: string[] = [];
  /** Results of the status callbacks played, in order. */
  readonly callbackResults: { status: string; result: CallbackResult }[] = [];
  /** Lookup requests, apart from the message creates in `requests`. */
  readonly lookups: RecordedRequest[] = [];
  /** Line type and carrier per phone for Lookup answers; a phone not listed is a Verizon mobile. `invalid` answers `valid: false`. */
  lineTypes: Record<string, { type: string; carrier: string | null } | 'invalid'> = {};
  /** Answers for the next lookups, in order (errors, slowness); when empty, the line type answer. */
  readonly lookupScript: ScriptedAnswer[] = [];
  /** The Message resources this account holds: every accepted create, and any added with `addMessage`. */
  readonly messages: Record<string, unknown>[] = [];
  /** Message list requests (`GET …/Messages.json`), apart from the creates in `requests`. */
  readonly listRequests: RecordedRequest[] = [];
  /** Answers for the next message lists, in order (errors); when empty, the page. */
  readonly listScript: ScriptedAnswer[] = [];
  private readonly accounts = new Map<string, string>();
  private seq = 0;
  private server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  constructor(accounts: Record<string, string>) {
    for (const [sid, token] of Object.entries(accounts)) this.accounts.set(sid, token);
  }

  async start(): Promise<this> {
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = req.url ?? '';
    const json = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body);
    };
    if (path.startsWith('/v2/PhoneNumbers/')) {
      this.lookups.push({ method: req.method ?? '', path, headers: req.headers, raw, form: {} });
      return this.lookup(req, path, json);
    }
    if (req.method === 'GET' && /^\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Messages\.json(\?|$)/.test(path)) {
      this.listRequests.push({ method: 'GET', path, headers: req.headers, raw, form: {} });
      return this.list(req, path, json);
    }
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, raw, form: Object.fromEntries(new URLSearchParams(raw)) });
    const m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/.exec(path);
    if (req.method !== 'POST' || !m) return json(404, JSON.stringify({ code: 20404, message: 'The requested resource was not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 }));
    if (!this.authorized(req, m[1]!)) return json(401, fixture('send-error-20003.json'));

    const scripted = this.script.shift();
    if (scripted) {
      if (scripted.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
      if (!res.destroyed) json(scripted.status, scripted.body, scripted.headers);
      return;
    }
    const form = new URLSearchParams(raw);
    const created = this.store(m[1]!, new Date(), {
      to: form.get('To'), from: form.get('From'), body: form.get('Body'),
      messaging_service_sid: form.get('MessagingServiceSid'), status: form.get('MessagingServiceSid') ? 'accepted' : 'queued',
    });
    const sid = created.sid as string;
    json(201, JSON.stringify(created));
    const callback = form.get('StatusCallback');
    if (callback && this.callbackStatuses.length > 0) void this.playCallbacks(callback, m[1]!, sid, form);
  }

  /** Adds a message the account holds (sent outside Engage, or before), as a Message resource. */
  addMessage(accountSid: string, m: { to: string; from: string; body: string; created: Date; direction?: string; status?: string; errorCode?: number }): string {
    const resource = this.store(accountSid, m.created, {
      to: m.to, from: m.from, body: m.body, direction: m.direction ?? 'outbound-api', status: m.status ?? 'delivered',
      date_sent: twilioDate(m.created), error_code: m.errorCode ?? null, error_message: null,
    });
    return resource.sid as string;
  }

  /** A new Message resource of the account (the fixture's shape), created at `created`, kept for the list. */
  private store(accountSid: string, created: Date, fields: Record<string, unknown>): Record<string, unknown> {
    const sid = `SM${(++this.seq).toString(16).padStart(32, '0')}`;
    const resource = JSON.parse(fixture('send-created.json')) as Record<string, unknown>;
    Object.assign(resource, {
      sid, account_sid: accountSid, date_created: twilioDate(created), date_updated: twilioDate(created),
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
      subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
      ...fields,
    });
    this.messages.push(resource);
    return resource;
  }

  /** HTTP basic auth with `account`'s SID and auth token, or, without `account`, any known account's. */
  private authorized(req: http.IncomingMessage, account?: string): boolean {
    const [user, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8').split(':');
    return !!user && (account === undefined || user === account) && this.accounts.get(user) === pass;
  }

  /** `GET …/Messages.json`: the account's messages, filtered by `To` and `From`, newest first, a page at a time. */
  private async list(req: http.IncomingMessage, path: string, json: (status: number, body: string, headers?: Record<string, string>) => void): Promise<void> {
    const url = new URL(path, 'http://fake');
    const account = /\/Accounts\/(AC[0-9a-f]{32})\//.exec(url.pathname)![1]!;
    if (!this.authorized(req, account)) return json(401, fixture('send-error-20003.json'));
    const scripted = this.listScript.shift();
    if (scripted) return json(scripted.status, scripted.body, scripted.headers);
    const q = url.searchParams;
    const size = Math.min(1000, Math.max(1, Number(q.get('PageSize') ?? 50)));
    const page = Math.max(0, Number(q.get('Page') ?? 0));
    const matching = this.messages
      .filter((m) => m.account_sid === account && (!q.get('To') || m.to === q.get('To')) && (!q.get('From') || m.from === q.get('From')))
      .sort((a, b) => Date.parse(b.date_created as string) - Date.parse(a.date_created as string) || String(b.sid).localeCompare(String(a.sid)));
    const slice = matching.slice(page * size, (page + 1) * size);
    const pageUri = (n: number) => {
      const p = new URLSearchParams();
      for (const k of ['To', 'From']) if (q.get(k)) p.set(k, q.get(k)!);
      p.set('PageSize', String(size));
      p.set('Page', String(n));
      // Twilio adds a token naming the last message of the page before.
      if (n > 0) p.set('PageToken', `PA${String(matching[n * size - 1]?.sid ?? '')}`);
      return `/2010-04-01/Accounts/${account}/Messages.json?${p.toString()}`;
    };
    json(200, JSON.stringify({
      end: page * size + Math.max(0, slice.length - 1), first_page_uri: pageUri(0),
      next_page_uri: matching.length > (page + 1) * size ? pageUri(page + 1) : null,
      page, page_size: size, previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      messages: slice, start: page * size, uri: pageUri(page),
    }));
  }

  private async lookup(req: http.IncomingMessage, path: string, json: (status: number, body: string, headers?: Record<string, string>) => void): Promise<void> {
    if (!this.authorized(req)) return json(401, fixture('send-error-20003.json'));
    const url = new URL(path, 'http://fake');
    const phone = decodeURIComponent(url.pathname.slice('/v2/PhoneNumbers/'.length));
    const scripted = this.lookupScript.shift();
    if (scripted) {
      if (scripted.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
      if (!req.socket.destroyed) json(scripted.status, scripted.body, scripted.headers);
      return;
    }
    const known = this.lineTypes[phone];
    const answer = JSON.parse(fixture(known === 'invalid' ? 'lookup-invalid.json' : 'lookup-line-type-mobile.json')) as Record<string, unknown>;
    Object.assign(answer, { phone_number: phone, url: `https://lookups.twilio.com/v2/PhoneNumbers/${phone}` });
    // Only the data packages asked for in `Fields` are filled; the others stay null.
    const fields = (url.searchParams.get('Fields') ?? '').split(',');
    if (!fields.includes('line_type_intelligence')) answer.line_type_intelligence = null;
    else if (known && known !== 'invalid') {
      const landline = JSON.parse(fixture('lookup-line-type-landline.json')) as { line_type_intelligence: Record<string, unknown> };
      answer.line_type_intelligence = { ...(known.type === 'mobile' ? (answer.line_type_intelligence as object) : landline.line_type_intelligence), type: known.type, carrier_name: known.carrier };
    }
    json(200, JSON.stringify(answer));
  }

  private async playCallbacks(url: string, accountSid: string, sid: string, form: URLSearchParams): Promise<void> {
    for (const status of this.callbackStatuses) {
      await new Promise((r) => setTimeout(r, 30));
      const params: Record<string, string> = {
        ...(status === 'undelivered' ? { ErrorCode: '30003' } : {}),
        SmsSid: sid, SmsStatus: status, MessageStatus: status, To: form.get('To') ?? '',
        MessageSid: sid, AccountSid: accountSid, From: form.get('From') ?? '', ApiVersion: '2010-04-01',
        ...(status === 'delivered' ? { RawDlrDoneDate: '2511241530' } : {}),
      };
      const result = await postAsTwilio(url, this.accounts.get(accountSid)!, params);
      this.callbackResults.push({ status, result });
    }
  }
}

/** Twilio's dates: RFC 2822 with whole seconds, `Mon, 24 Nov 2025 15:30:12 +0000`. */
function twilioDate(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}
