// Entry of an import's parsing thread (parse-thread.ts): a new thread has no TypeScript loader, so
// it registers tsx's, as bin/engage.js does for the main thread, and runs the thread's code.
import { register } from 'tsx/esm/api';

register();
const { runParseThread } = await import('./parse-thread.ts');
await runParseThread();
