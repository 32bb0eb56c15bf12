/**
 * Live conversation changes for open widgets, across processes: database triggers (migration
 * 008) announce every change on the PostgreSQL channel `engage_conversation`, whichever process
 * made it; this hub LISTENs on one dedicated connection per API process and wakes the watchers
 * of the conversation concerned. It listens only while someone watches (and a little after).
 */
import pg from 'pg';
import type { Logger } from 'pino';

export const CONVERSATION_CHANNEL = 'engage_conversation';

export interface ConversationWatcher {
  leadId: string;
  workspaceId: number;
  phone: string;
  /** Something about this conversation changed (or notifications may have been missed). */
  onChange: () => void;
}

/** Matches a channel payload (`l:<lead id>` or `p:<workspace>:<phone>`) to a watcher. */
export function concerns(payload: string, w: Pick<ConversationWatcher, 'leadId' | 'workspaceId' | 'phone'>): boolean {
  if (payload.startsWith('l:')) return payload.slice(2) === w.leadId;
  if (payload.startsWith('p:')) return payload === `p:${w.workspaceId}:${w.phone}`;
  return false;
}

export class ConversationHub {
  private readonly watchers = new Set<ConversationWatcher>();
  private client: pg.Client | null = null;
  private listening: Promise<boolean> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  /** `connectionString` null: no LISTEN (callers fall back to polling, see `live`). */
  constructor(
    private readonly connectionString: string | null,
    private readonly log: Logger,
    private readonly idleMs = 30_000,
  ) {}

  /** True when changes arrive by NOTIFY; false when the caller must poll. */
  get live(): boolean {
    return this.connectionString !== null;
  }

  /** Starts watching; resolves once LISTEN is active, so no later change is missed. Returns the unwatch function. */
  async watch(w: ConversationWatcher): Promise<() => void> {
    this.watchers.add(w);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    await this.listen();
    return () => {
      this.watchers.delete(w);
      if (this.watchers.size === 0 && !this.idleTimer) {
        this.idleTimer = setTimeout(() => {
          this.idleTimer = null;
          if (this.watchers.size === 0) void this.disconnect();
        }, this.idleMs);
        this.idleTimer.unref();
      }
    };
  }

  private listen(): Promise<boolean> {
    if (!this.connectionString || this.closed) return Promise.resolve(false);
    if (this.listening) return this.listening;
    const client = new pg.Client({ connectionString: this.connectionString });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel !== CONVERSATION_CHANNEL || !n.payload) return;
      for (const w of this.watchers) if (concerns(n.payload, w)) w.onChange();
    });
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.log.warn({ err }, 'conversation listener lost its connection; reconnecting');
      this.client = null;
      this.listening = null;
      client.end().catch(() => undefined);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        // Changes made while disconnected were not announced: everyone reloads.
        if (this.watchers.size) void this.listen().then(() => this.watchers.forEach((w) => w.onChange()));
      }, 1000);
      this.retryTimer.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.listening = client
      .connect()
      .then(() => client.query(`LISTEN ${CONVERSATION_CHANNEL}`))
      .then(() => true)
      .catch((err: unknown) => {
        lost(err);
        return false;
      });
    return this.listening;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.listening = null;
    await client?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.watchers.clear();
    await this.disconnect();
  }
}
