/** A hash router (`#/campaigns/…`): deep links work without any server-side routes. */
import { useEffect, useState } from 'react';

export function currentPath(): string {
  return window.location.hash.replace(/^#/, '') || '/campaigns';
}

export function navigate(path: string): void {
  window.location.hash = path;
}

export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return path.split('?')[0]!.split('/').filter(Boolean);
}

/** Polls `fn` every `ms` while the page is shown; returns a manual refresh. */
export function usePolling(fn: () => void | Promise<void>, ms: number, deps: unknown[] = []): () => void {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        await fn();
      } catch {
        /* the page shows its own errors */
      }
      if (!stopped) timer = setTimeout(run, ms);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, ms]);
  return () => setTick((t) => t + 1);
}
