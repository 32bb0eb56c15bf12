/** What every benchmark shares: where things are, and the bootstrap key and secret of its Engage processes. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(BENCH_DIR, '..');
/** The `engage` CLI, as `npm start` runs it. */
export const BIN = path.join(REPO, 'packages', 'server', 'bin', 'engage.js');
export const API_KEY = 'engk_bench_bootstrap_key_0123456789';
export const SECRET = 'bench-secret-0123456789abcdef';
