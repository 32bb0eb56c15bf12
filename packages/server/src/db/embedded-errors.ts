/**
 * Why the embedded PostgreSQL did not start, told the way an operator can act on: what went wrong,
 * PostgreSQL's own last lines, and what to do. Every failure of `startEmbeddedPostgres` ends in one
 * `EmbeddedPostgresError`.
 */

export type EmbeddedFailure = 'permission' | 'port' | 'disk' | 'version' | 'running' | 'no-user' | 'password' | 'other';

/** Where the cluster is, for the message. */
export interface ClusterPlace {
  clusterDir: string;
  /** The OS user PostgreSQL runs as. */
  runAs: string;
  port: number;
  /** The bundled PostgreSQL's version. */
  version: string;
}

/** PostgreSQL's own lines kept for the message (the last ones are the ones that say why). */
const KEPT_LINES = 12;

const ALTERNATIVES = 'or set DATABASE_URL to use a PostgreSQL server of your own (docs/operations.md#database)';

export class EmbeddedPostgresError extends Error {
  constructor(
    readonly reason: EmbeddedFailure,
    readonly what: string,
    readonly hint: string,
    /** PostgreSQL's (or initdb's) last lines of output. */
    readonly output: string[] = [],
  ) {
    const said = output.length ? ['', '  PostgreSQL said:', ...output.map((l) => `    | ${l}`)] : [];
    super([`the embedded PostgreSQL could not start: ${what}`, ...said, '', `  What to do: ${hint}`].join('\n'));
    this.name = 'EmbeddedPostgresError';
  }
}

/** The last lines of a process's output, without blank ones. */
export class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    const complete = parts.map((l) => l.trimEnd()).filter((l) => l !== '');
    this.lines.push(...complete);
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
    return complete;
  }

  get last(): string[] {
    return this.partial.trim() ? [...this.lines, this.partial.trimEnd()].slice(-KEPT_LINES) : [...this.lines];
  }
}

/** The version a data directory was created by, from PostgreSQL's own complaint about it. */
function versionFrom(output: string): string | null {
  return /initialized by PostgreSQL version (\d+)/.exec(output)?.[1] ?? null;
}

/**
 * Reads PostgreSQL's (or initdb's, or the OS's) words and names the failure. Matches the English
 * messages: the server and initdb are started with `LC_MESSAGES=C`.
 */
export function explainFailure(output: string[], place: ClusterPlace, cause?: NodeJS.ErrnoException): EmbeddedPostgresError {
  const text = [cause?.message ?? '', ...output].join('\n');
  const where = `${place.clusterDir} (PostgreSQL ${place.version}, running as the OS user "${place.runAs}")`;
  if (/database files are incompatible with server|initialized by PostgreSQL version/.test(text)) {
    const theirs = versionFrom(text);
    return new EmbeddedPostgresError(
      'version',
      `the database in ${place.clusterDir} was created by PostgreSQL ${theirs ?? 'of another major version'}, and this Engage ships PostgreSQL ${place.version}`,
      `start it with the Engage release that created it and move the data over with pg_dump (docs/operations.md#upgrading-the-embedded-postgresql), or point ENGAGE_DATA_DIR at another directory to start afresh, ${ALTERNATIVES}.`,
      output,
    );
  }
  if (/No space left on device|ENOSPC|Disk quota exceeded|EDQUOT/.test(text)) {
    return new EmbeddedPostgresError(
      'disk',
      `the disk holding ${place.clusterDir} is full`,
      `free some space on that disk, or point ENGAGE_DATA_DIR at a directory on a disk with room, ${ALTERNATIVES}.`,
      output,
    );
  }
  if (/could not bind IPv4 address|Address already in use|could not create any TCP\/IP sockets|EADDRINUSE/.test(text)) {
    return new EmbeddedPostgresError(
      'port',
      `port ${place.port} on 127.0.0.1 is already in use by another program`,
      `unset ENGAGE_EMBEDDED_PG_PORT so that Engage picks a free port, or set it to a free one, ${ALTERNATIVES}.`,
      output,
    );
  }
  if (/lock file "postmaster\.pid" already exists|Is another postmaster/.test(text)) {
    return new EmbeddedPostgresError(
      'running',
      `another PostgreSQL is already running on ${place.clusterDir}`,
      `stop the other Engage process that uses this data directory, or point ENGAGE_DATA_DIR at another directory.`,
      output,
    );
  }
  if (/Permission denied|EACCES|EPERM|Operation not permitted|must be owned by|has invalid permissions/.test(text)) {
    return new EmbeddedPostgresError(
      'permission',
      `PostgreSQL cannot use ${where}: permission denied`,
      `make that directory, everything in it and every directory above it usable by the OS user "${place.runAs}" (the data directory itself must belong to that user, mode 0700), or point ENGAGE_DATA_DIR at a directory that user can use, ${ALTERNATIVES}.`,
      output,
    );
  }
  return new EmbeddedPostgresError(
    'other',
    `PostgreSQL stopped before it was ready, in ${where}`,
    `read PostgreSQL's lines above; if the data directory is damaged, restore it from a backup or point ENGAGE_DATA_DIR at another directory, ${ALTERNATIVES}.`,
    output,
  );
}
