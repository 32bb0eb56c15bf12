#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `engage` works from a checkout without a build step.
// Help and usage errors are answered before the server's code is loaded, so they are instant.
import { register } from 'tsx/esm/api';

register();
const { preflight } = await import('../src/cli/usage.ts');
const code = preflight(process.argv.slice(2));
if (code !== null) process.exit(code);
await import('../src/main.ts');
