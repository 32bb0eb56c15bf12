/**
 * Vitest global setup: builds the web app when its sources changed since the last build, so
 * browser tests (and the server's static serving) always run the current code — also on a fresh
 * clone where `npm ci` ran no `prepare` script.
 */
import { ensureWebBuilt } from '../build.ts';

export default async function setup() {
  await ensureWebBuilt({ quiet: true });
}
