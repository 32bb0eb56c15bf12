/**
 * Browser tests' shared helper: the Chromium that find-browser.ts resolves (CHROME_PATH, else a
 * system Chrome or Chromium, else the one in `@sparticuz/chromium`; once per run, in the global
 * setup) driven by playwright-core, headless, with a fresh profile per launch. Collects what must
 * never happen (page errors, JavaScript dialogs such as an XSS `alert`) and saves screenshots for
 * docs.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { eventually } from '../../server/test/harness.ts';
import { LAUNCH_ARGS, browserEnv, findBrowser, type FoundBrowser } from './find-browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The browser the global setup found, or why it found none. */
    browser: FoundBrowser | { error: string };
  }
}

export const SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots');

/** A phone-sized screen (iPhone 12/13/14 CSS pixels). */
export const PHONE = { width: 390, height: 844 } as const;

export interface PageWatch {
  /** Uncaught exceptions and console errors of the page and its frames. */
  errors: string[];
  /** Messages of every alert/confirm/prompt the page tried to open (each is dismissed). */
  dialogs: string[];
}

export interface TestBrowser {
  browser: Browser;
  /** A new isolated context and page; `watch` fills as things happen. */
  newPage(opts?: { viewport?: { width: number; height: number }; isMobile?: boolean; hasTouch?: boolean }): Promise<{ page: Page; context: BrowserContext; watch: PageWatch }>;
  close(): Promise<void>;
}

/** playwright-core's launch options for the run's browser (the global setup's, else found here). */
export async function browserLaunchOptions(): Promise<LaunchOptions> {
  // Undefined when this file runs without the global setup (another Vitest config).
  const provided = inject('browser') as FoundBrowser | { error: string } | undefined;
  if (provided && 'error' in provided) throw new Error(provided.error);
  const found = provided ?? (await findBrowser());
  return { executablePath: found.executablePath, headless: true, args: LAUNCH_ARGS, env: browserEnv(found) };
}

export async function launchBrowser(): Promise<TestBrowser> {
  // launch() gives every browser a fresh temporary profile (user data dir), removed on close.
  const browser = await chromium.launch(await browserLaunchOptions());
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newPage(opts = {}) {
      const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, isMobile: opts.isMobile, hasTouch: opts.hasTouch });
      contexts.push(context);
      const page = await context.newPage();
      const watch: PageWatch = { errors: [], dialogs: [] };
      page.on('pageerror', (err) => watch.errors.push(String(err)));
      page.on('console', (msg) => {
        if (msg.type() === 'error') watch.errors.push(msg.text());
      });
      page.on('dialog', (d) => {
        watch.dialogs.push(`${d.type()}: ${d.message()}`);
        void d.dismiss().catch(() => undefined);
      });
      return { page, context, watch };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/** Saves a PNG of the page (or one element) as docs/screenshots/<name>.png. */
export async function screenshot(target: Page | ReturnType<Page['locator']>, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await target.screenshot({ path: file, animations: 'disabled' });
  return file;
}

/**
 * Reading a page: the text of a selector's first match, and waiting until it contains `want` (a
 * string, or a pattern it matches). `page` is read at each call (tests open it in `beforeAll`).
 */
export function pageText(page: () => Page): {
  text: (selector: string) => Promise<string>;
  waitText: (selector: string, want: string | RegExp, what: string, timeoutMs?: number) => Promise<string>;
} {
  const text = async (selector: string) => (await page().locator(selector).first().textContent()) ?? '';
  const waitText = (selector: string, want: string | RegExp, what: string, timeoutMs = 15_000) =>
    eventually(async () => {
      const t = await text(selector);
      return (typeof want === 'string' ? t.includes(want) : want.test(t)) ? t : undefined;
    }, timeoutMs, what);
  return { text, waitText };
}

