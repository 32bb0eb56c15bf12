/**
 * Vitest global setup: builds the web app when its sources changed since the last build, so
 * browser tests (and the server's static serving) always run the current code — also on a fresh
 * clone where `npm ci` ran no `prepare` script — and finds the browser the browser tests drive,
 * once per run (see find-browser.ts), for the test files to `inject('browser')`.
 */
import type { TestProject } from 'vitest/node';
import { ensureWebBuilt } from '../build.ts';
import { findBrowser } from './find-browser.ts';

export default async function setup(project: TestProject) {
  const [, browser] = await Promise.all([
    ensureWebBuilt({ quiet: true }),
    // Not finding one fails the browser tests with the reason, not the whole run.
    findBrowser({ log: (line) => console.log(line) }).catch((err: Error) => ({ error: err.message })),
  ]);
  project.provide('browser', browser);
}
