/**
 * Loads the conversation and keeps it current: one GET for the first view (and to learn why,
 * when the stream fails), then Server-Sent Events that carry the whole state after every change.
 * EventSource reconnects by itself; after a failure we re-check the key so a revoked link says so.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiFailure } from '../shared/api.ts';
import type { WidgetState } from './types.ts';

export type Connection = 'connecting' | 'live' | 'reconnecting';
type Outcome = 'ok' | 'invalid' | 'error';

export interface ConversationView {
  phase: 'loading' | 'ready' | 'invalid' | 'error';
  state: WidgetState | null;
  connection: Connection;
  error: string | null;
  /** Re-reads the state now (after our own send or disposition). */
  refresh: () => Promise<Outcome>;
}

export function useConversation(key: string): ConversationView {
  const [phase, setPhase] = useState<ConversationView['phase']>('loading');
  const [state, setState] = useState<WidgetState | null>(null);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [error, setError] = useState<string | null>(null);
  const q = `?key=${encodeURIComponent(key)}`;
  const alive = useRef(true);
  // The key being shown: answers for an earlier key (the inbox switched conversations) are dropped.
  const shown = useRef(key);
  shown.current = key;

  const refresh = useCallback(async (): Promise<Outcome> => {
    try {
      const s = await api<WidgetState>(`/api/public/engage/conversation/state${q}`);
      if (alive.current && shown.current === key) {
        setState(s);
        setPhase('ready');
      }
      return 'ok';
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) {
        if (alive.current) setPhase('invalid');
        return 'invalid';
      }
      if (alive.current) {
        setError((err as Error).message);
        setPhase((p) => (p === 'loading' ? 'error' : p));
      }
      return 'error';
    }
  }, [q, key]);

  useEffect(() => {
    alive.current = true;
    // Another conversation (the console's inbox reuses one widget): start from scratch.
    setState(null);
    setPhase('loading');
    setConnection('connecting');
    if (!key) {
      setPhase('invalid');
      return;
    }
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const open = () => {
      source = new EventSource(`/api/public/engage/conversation/stream${q}`);
      source.onopen = () => setConnection('live');
      source.addEventListener('state', (e) => {
        if (shown.current !== key) return;
        setState(JSON.parse((e as MessageEvent<string>).data) as WidgetState);
        setPhase('ready');
        setConnection('live');
        setError(null);
      });
      source.addEventListener('revoked', () => {
        source?.close();
        setPhase('invalid');
      });
      source.onerror = () => {
        setConnection('reconnecting');
        if (source?.readyState === EventSource.CLOSED) {
          // The server refused the stream (e.g. the key was revoked): find out, then try again.
          void refresh().then((outcome) => {
            if (alive.current && outcome !== 'invalid') retry = setTimeout(open, 3000);
          });
        }
      };
    };
    void refresh().then((outcome) => {
      if (alive.current && outcome !== 'invalid') open();
    });
    return () => {
      alive.current = false;
      source?.close();
      if (retry) clearTimeout(retry);
    };
  }, [key, q, refresh]);

  return { phase, state, connection, error, refresh };
}
