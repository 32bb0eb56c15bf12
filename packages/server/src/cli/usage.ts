/**
 * The `engage` CLI's words: usage texts per command, the usage error (exit code 2) and the
 * argument parser every command shares (node:util parseArgs, strict).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes a shell user expects: 0 success, 1 failure, 2 usage error. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

export class UsageError extends Error {
  constructor(message: string, readonly command: string | null = null) {
    super(message);
  }
}

const ENVIRONMENT = `Environment: PORT, PUBLIC_URL, DATABASE_URL, ENGAGE_DATA_DIR, ENGAGE_EMBEDDED_PG_PORT,
ENGAGE_SECRET, ENGAGE_BOOTSTRAP_API_KEY, ENGAGE_ALLOW_PRIVATE_WEBHOOKS, LOG_LEVEL, LOG_FORMAT
(see docs/cli.md).`;

export const USAGE: Record<string, string> = {
  '': `Usage: engage <command> [options]

Commands:
  start     API and worker in one process (embedded PostgreSQL unless DATABASE_URL is set)
  api       the HTTP API only
  worker    the background worker only (broadcast sender, webhooks, replies)
  migrate   apply database migrations and exit
  demo      a running demo: campaign, leads, simulated replies, webhooks printed as they arrive
  import    load a CSV file of leads into a campaign, with a progress bar
  keys      create, list and revoke workspace API keys

Run "engage <command> --help" for a command's options.

${ENVIRONMENT}`,
  start: `Usage: engage start

Runs the HTTP API and the worker in one process. Without DATABASE_URL, an embedded PostgreSQL
keeps its data in ENGAGE_DATA_DIR (./.engage). On an empty database it creates a demo workspace
and prints its API key and console login; on the embedded database also sample data (a campaign
of five simulated leads, a reply in the inbox, a delivered webhook). Stops gracefully on Ctrl-C
(SIGINT) or SIGTERM.

${ENVIRONMENT}`,
  api: `Usage: engage api

Runs the HTTP API only (scale it out behind a load balancer; run "engage worker" beside it).

${ENVIRONMENT}`,
  worker: `Usage: engage worker

Runs the background worker only: the broadcast sender, webhook deliveries, replies, imports.

${ENVIRONMENT}`,
  migrate: `Usage: engage migrate

Applies the database migrations and exits (0 when the database is up to date).

${ENVIRONMENT}`,
  demo: `Usage: engage demo [--leads <n>]

Starts Engage (API + worker; embedded PostgreSQL unless DATABASE_URL is set) with the SMS
simulator, creates a demo campaign, loads leads, plays their phones' replies, and runs a local
webhook receiver that verifies and prints every event. Prints the URLs to open. Ctrl-C stops it.

Options:
  --leads <n>   how many leads to load (1-50, default 5)
  -h, --help    show this help

${ENVIRONMENT}`,
  import: `Usage: engage import <file.csv> --campaign <id> [options]

Uploads a CSV file to POST /api/public/engage/list/load and follows the job with a progress bar
(on stderr, when it is a terminal). Exits 0 when the file was loaded (rejected rows are listed),
1 when the load failed, 2 on a usage error.

Options:
  --campaign <id>        the campaign to load into (required)
  --map <col=src,...>    lead column names and where they come from: a header name or a 0-based
                         index, e.g. --map Phone=mobile,FirstName=1. Default: every column under
                         its header name (needs a header row). The phone column is named Phone.
  --list-name <name>     the list's name (default: the file's name)
  --no-headers           the first row is data, not headers (then --map must use indexes)
  --no-dedupe            keep phones already in the campaign or repeated in the file
  --webhook-url <url>    POST the completion summary there too
  --url <url>            Engage's base URL (default PUBLIC_URL, else http://localhost:PORT)
  --api-key <key>        workspace API key (default ENGAGE_BOOTSTRAP_API_KEY, else the demo key
                         saved in ENGAGE_DATA_DIR)
  -h, --help             show this help`,
  keys: `Usage: engage keys <create|list|revoke> [options]

Manages workspace API keys directly in the database (DATABASE_URL, or the embedded database in
ENGAGE_DATA_DIR — also while "engage start" is running on it).

  engage keys create [--name <name>] [--workspace <id>]   prints the new key once
  engage keys list [--workspace <id>] [--json]
  engage keys revoke <keyId> [--workspace <id>]

Options:
  --workspace <id>   the workspace (default: the only one; required when there are several)
  --name <name>      a label for the key (default "cli")
  --json             machine-readable output
  -h, --help         show this help`,
};

/** Parses a command's options strictly; an unknown option or a missing value is a UsageError. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals, allowNegative: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!, command);
  }
}

/** A positive integer option in [min, max], or a UsageError naming it. */
export function intOption(command: string, name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`, command);
  return n;
}

/** Text from users or leads, safe for a terminal: control characters (escape sequences) shown as \uXXXX. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * What needs no database and no server code: help, and unknown commands or arguments. Returns the
 * exit code when it handled `argv` (after printing), null when the command should run. Cheap to
 * import, so `engage --help` answers at once (bin/engage.js calls it before loading the server).
 */
export function preflight(argv: string[]): number | null {
  const command = argv[0];
  const rest = argv.slice(1);
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    // `engage help <command>` shows that command's help.
    const topic = command === 'help' && rest[0] !== undefined && Object.hasOwn(USAGE, rest[0]) ? USAGE[rest[0]] : undefined;
    console.log(topic ?? USAGE['']);
    return command ? EXIT.OK : EXIT.USAGE;
  }
  try {
    if (!Object.hasOwn(USAGE, command) || command === '') throw new UsageError(`unknown command "${command}"`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(USAGE[command]);
      return EXIT.OK;
    }
    if (['start', 'api', 'worker', 'migrate'].includes(command) && rest.length > 0) {
      throw new UsageError(`"${command}" takes no arguments, got "${rest[0]}"`, command);
    }
  } catch (err) {
    reportUsageError(err as UsageError);
    return EXIT.USAGE;
  }
  return null;
}

export function reportUsageError(err: UsageError): void {
  const name = err.command ? `engage ${err.command}` : 'engage';
  console.error(`${name}: ${err.message}\nRun "${name} --help" for usage.`);
}
