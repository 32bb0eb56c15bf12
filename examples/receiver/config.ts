/** The example receiver's settings, all from the environment, all with defaults for a local Engage. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ReceiverConfig {
  /** Port to listen on. PORT, default 4000 (0 = any free port). */
  port: number;
  /** Address to bind. HOST, default 127.0.0.1. */
  host: string;
  /** Engage's base URL. ENGAGE_URL, default http://localhost:3000. */
  engageUrl: string;
  /** Workspace API key, used once to fetch the webhook secret. ENGAGE_API_KEY, default the demo key in ENGAGE_DATA_DIR. */
  apiKey: string | null;
  /** The webhook secret (`whsec_…`). ENGAGE_WEBHOOK_SECRET, default fetched with the API key. */
  webhookSecret: string | null;
  /** The text sent back to every reply. REPLY_TEXT. */
  replyText: string;
}

export function loadReceiverConfig(env: Record<string, string | undefined> = process.env): ReceiverConfig {
  const dataDir = path.resolve(env.ENGAGE_DATA_DIR || './.engage');
  const demoKeyFile = path.join(dataDir, 'demo-api-key');
  const savedKey = existsSync(demoKeyFile) ? readFileSync(demoKeyFile, 'utf8').trim() : null;
  return {
    port: Number(env.PORT ?? 4000),
    host: env.HOST || '127.0.0.1',
    engageUrl: (env.ENGAGE_URL || 'http://localhost:3000').replace(/\/+$/, ''),
    apiKey: env.ENGAGE_API_KEY || env.ENGAGE_BOOTSTRAP_API_KEY || savedKey,
    webhookSecret: env.ENGAGE_WEBHOOK_SECRET || null,
    replyText: env.REPLY_TEXT || 'Thanks for your message! An agent will follow up shortly.',
  };
}
