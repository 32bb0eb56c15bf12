/**
 * Which Chromium the browser tests drive — found without apt, so `npm ci && npm test` runs every
 * browser test on a machine with only Node.js:
 *
 *   1. `CHROME_PATH`, when set (an error if it names no executable file);
 *   2. a Chrome or Chromium on PATH or at its usual place that answers `--version`;
 *   3. the Chromium inside the `@sparticuz/chromium` devDependency (Linux x64), decompressed once
 *      into a per-user cache directory.
 *
 * Step 3 does not use the package's own `executablePath()`: that extracts to `<tmpdir>/chromium`,
 * one path shared by every user of the machine. Here each file is written under a temporary name
 * and renamed into place, so parallel runs never see half a binary and a killed run leaves none.
 * The packaged binary also gets the package's fonts (after the system's own, for machines without
 * any) and, only where the system's NSS libraries do not load, the package's copies of them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, chmod, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

export interface FoundBrowser {
  executablePath: string;
  source: 'CHROME_PATH' | 'system' | '@sparticuz/chromium';
  /** Variables to add to the environment the browser is launched with (empty but for step 3). */
  env: Record<string, string>;
}

export type Env = Record<string, string | undefined>;

export interface FindOptions {
  /** The environment to read (CHROME_PATH, PATH, HOME, XDG_CACHE_HOME); process.env by default. */
  env?: Env;
  /** Absolute paths tried after PATH; the usual ones for this platform by default. */
  systemPaths?: string[];
  /** The directory of the `@sparticuz/chromium` package; resolved from here by default. */
  packageDir?: string;
  /** The system's fontconfig file, included before the packaged fonts. */
  systemFontsConfig?: string;
  /** Told when something slow (decompressing the packaged Chromium) starts. */
  log?: (line: string) => void;
}

// Test tooling, not the app's configuration: the run's own environment is what is read here.
const processEnv: Env = process.env;

/** What the tests launch it with (no GPU: the packaged Chromium has no SwiftShader extracted). */
export const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export const COMMAND_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

export function defaultSystemPaths(platform: NodeJS.Platform = process.platform, home = os.homedir()): string[] {
  if (platform === 'darwin') {
    const apps = ['Google Chrome.app/Contents/MacOS/Google Chrome', 'Chromium.app/Contents/MacOS/Chromium'];
    return [...apps.map((a) => path.join('/Applications', a)), ...apps.map((a) => path.join(home, 'Applications', a))];
  }
  return [
    '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable',
    '/snap/bin/chromium', '/opt/google/chrome/chrome',
  ];
}

export async function findBrowser(opts: FindOptions = {}): Promise<FoundBrowser> {
  const env = opts.env ?? processEnv;
  if (env.CHROME_PATH) return { executablePath: await checkExecutable(env.CHROME_PATH, 'CHROME_PATH'), source: 'CHROME_PATH', env: {} };

  const tried: string[] = [];
  const pathDirs = (env.PATH ?? '').split(path.delimiter).filter((d) => path.isAbsolute(d));
  const candidates = [
    ...COMMAND_NAMES.flatMap((name) => pathDirs.map((dir) => path.join(dir, name))),
    ...(opts.systemPaths ?? defaultSystemPaths(process.platform, env.HOME || os.homedir())),
  ];
  for (const candidate of new Set(candidates)) {
    if (!(await isExecutableFile(candidate))) continue;
    const probe = runVersion(candidate, env);
    if (probe.ok) return { executablePath: candidate, source: 'system', env: {} };
    tried.push(`${candidate} (${probe.output || 'failed'})`);
  }

  try {
    return await packagedChromium(env, opts);
  } catch (err) {
    const skipped = tried.length ? `; skipped ${tried.join(', ')}` : '';
    throw new Error(
      `No Chromium for the browser tests: CHROME_PATH is not set, there is no working chromium or google-chrome on PATH ` +
      `or at the usual places${skipped}, and the one in @sparticuz/chromium could not be used: ${(err as Error).message}. ` +
      `Install Chrome or Chromium, or set CHROME_PATH to its executable.`,
    );
  }
}

/** The absolute path of `file` when it is an executable regular file; a clear error otherwise. */
export async function checkExecutable(file: string, what: string): Promise<string> {
  const abs = path.resolve(file);
  const st = await stat(abs).catch(() => null);
  if (!st) throw new Error(`${what}=${file}: no such file`);
  if (!st.isFile()) throw new Error(`${what}=${file}: not a file`);
  if (!(await isExecutableFile(abs))) throw new Error(`${what}=${file}: not executable (chmod +x it)`);
  return abs;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Runs `<exe> --version`: a Chrome or Chromium answers within seconds and exits 0. */
function runVersion(exe: string, env: Env, extra: Record<string, string> = {}): { ok: boolean; output: string } {
  const r = spawnSync(exe, ['--version'], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 15_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim().split('\n')[0] ?? '';
  return { ok: r.status === 0 && /chrom/i.test(r.stdout ?? ''), output };
}

/**
 * The per-user directory Engage caches the packaged Chromium in: `$XDG_CACHE_HOME/engage`, else
 * `~/.cache/engage`, else (no usable home) `<tmpdir>/engage-chromium-<uid>`, which must be a
 * directory of this user's and no one else's.
 */
export async function cacheRoot(env: Env = processEnv, sys: { tmpdir?: string; uid?: number } = {}): Promise<string> {
  const xdg = env.XDG_CACHE_HOME;
  const home = env.HOME || os.homedir();
  const choices = [
    ...(xdg && path.isAbsolute(xdg) ? [path.join(xdg, 'engage')] : []),
    ...(home && path.isAbsolute(home) && home !== '/' ? [path.join(home, '.cache', 'engage')] : []),
  ];
  for (const dir of choices) {
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
      return dir;
    } catch {
      // Not creatable or not writable (a read-only or missing home): try the next.
    }
  }
  const uid = sys.uid ?? process.getuid?.() ?? os.userInfo().uid;
  const dir = path.join(sys.tmpdir ?? os.tmpdir(), `engage-chromium-${uid}`);
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const st = await lstat(dir);
  if (!st.isDirectory() || (uid >= 0 && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a private directory of user ${uid}; remove it or set XDG_CACHE_HOME`);
  }
  return dir;
}

function packageDirectory(): string {
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  return path.resolve(path.dirname(entry), '..');
}

async function packagedChromium(env: Env, opts: FindOptions): Promise<FoundBrowser> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`it is built for Linux x64, this is ${process.platform} ${process.arch}`);
  }
  const pkg = opts.packageDir ?? packageDirectory();
  const { version } = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(await cacheRoot(env), `chromium-${version}`);
  await mkdir(dir, { recursive: true });
  const bin = path.join(pkg, 'bin');

  const exe = path.join(dir, 'chromium');
  await installOnce(exe, async (tmp) => {
    opts.log?.(`Decompressing Chromium ${version} from @sparticuz/chromium into ${dir} (once)`);
    await pipeline(createReadStream(path.join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(tmp, { mode: 0o755 }));
    await chmod(tmp, 0o755);
  });

  // Fonts: the system's first (the same rendering as a system Chromium), then the package's Open
  // Sans, which is all a machine without fonts has. Without any font, text has no size at all.
  const fonts = path.join(dir, 'fonts');
  await installOnce(fonts, (tmp) => untarBrotli(pkg, path.join(bin, 'fonts.tar.br'), tmp));
  const fontsConf = path.join(dir, 'fonts.conf');
  const conf = fontsConfig(opts.systemFontsConfig ?? '/etc/fonts/fonts.conf', fonts, path.join(dir, 'fontconfig-cache'));
  if ((await readFile(fontsConf, 'utf8').catch(() => '')) !== conf) {
    await installOnce(fontsConf, (tmp) => writeFile(tmp, conf), { replace: true });
  }
  const launchEnv: Record<string, string> = { FONTCONFIG_FILE: fontsConf };

  // The binary links the system's NSS (libnss3, libnspr4) and libexpat. Where they do not load,
  // use the copies the package carries for Amazon Linux.
  let probe = runVersion(exe, env, launchEnv);
  if (!probe.ok && /error while loading shared libraries/.test(probe.output)) {
    const al2023 = path.join(dir, 'al2023');
    await installOnce(al2023, (tmp) => untarBrotli(pkg, path.join(bin, 'al2023.tar.br'), tmp));
    const lib = path.join(al2023, 'lib');
    launchEnv.LD_LIBRARY_PATH = [lib, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    probe = runVersion(exe, env, launchEnv);
  }
  if (!probe.ok) throw new Error(`${exe} --version: ${probe.output || 'failed'}`);
  return { executablePath: exe, source: '@sparticuz/chromium', env: launchEnv };
}

function fontsConfig(systemConfig: string, fontsDir: string, cacheDir: string): string {
  const x = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
    '<fontconfig>',
    `  <include ignore_missing="yes">${x(systemConfig)}</include>`,
    `  <dir>${x(fontsDir)}</dir>`,
    `  <cachedir>${x(cacheDir)}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n');
}

async function untarBrotli(pkg: string, archive: string, into: string): Promise<void> {
  // tar-fs is @sparticuz/chromium's own dependency: resolve it from there.
  const tar = createRequire(path.join(pkg, 'package.json'))('tar-fs') as { extract(dir: string): NodeJS.WritableStream };
  await mkdir(into, { recursive: true });
  await pipeline(createReadStream(archive), createBrotliDecompress(), tar.extract(into));
}

/**
 * Creates `target` (a file or a directory) with `make`, which writes a temporary sibling that is
 * then renamed into place: readers see the whole thing or nothing. Returns at once when `target`
 * exists (unless `replace`). Parallel calls in one process share one `make`; across processes,
 * each makes its own copy and the last rename wins (the copies are the same).
 */
export async function installOnce(target: string, make: (tmp: string) => Promise<void>, { replace = false } = {}): Promise<void> {
  if (replace) return install(target, make, replace);
  if (await exists(target)) return;
  let running = inflight.get(target);
  if (!running) {
    running = install(target, make, replace).finally(() => inflight.delete(target));
    inflight.set(target, running);
  }
  return running;
}

const inflight = new Map<string, Promise<void>>();

async function install(target: string, make: (tmp: string) => Promise<void>, replace: boolean): Promise<void> {
  if (!replace && (await exists(target))) return;
  await removeAbandoned(target);
  const tmp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.partial`;
  try {
    await make(tmp);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // A directory cannot be renamed over another process's finished one: that one is as good.
    if (!replace && (await exists(target))) return;
    throw err;
  }
}

/** Removes what killed runs left of `target`: partial copies whose process is gone. */
async function removeAbandoned(target: string): Promise<void> {
  const prefix = `${path.basename(target)}.`;
  const names = await readdir(path.dirname(target)).catch(() => [] as string[]);
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]+\.partial$/.exec(name.slice(prefix.length)) : null;
    if (m && !isRunning(Number(m[1]))) await rm(path.join(path.dirname(target), name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/** The environment to launch `found` with: this process's, plus what `found` needs. */
export function browserEnv(found: FoundBrowser, base: Env = processEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  return Object.assign(env, found.env);
}
