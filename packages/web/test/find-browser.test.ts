/**
 * find-browser.ts: the order (CHROME_PATH, a system Chrome/Chromium, the packaged Chromium), the
 * per-user cache, and the packaged Chromium really decompressed from `@sparticuz/chromium`, once,
 * and driven by playwright-core — also where the system has no fonts or no usable NSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAUNCH_ARGS, browserEnv, cacheRoot, findBrowser, installOnce, type Env, type FoundBrowser } from './find-browser.ts';

const PACKAGE_DIR = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..');
const { version: PACKAGE_VERSION } = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'engage-find-browser-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A directory of its own under this file's temporary directory. */
async function dir(name: string): Promise<string> {
  const d = path.join(tmp, name);
  await mkdir(d, { recursive: true });
  return d;
}

/** An executable shell script that prints `out` and exits with `code` (a stand-in browser). */
async function fakeExecutable(file: string, out: string, code = 0): Promise<string> {
  await writeFile(file, `#!/bin/sh\necho '${out}'\nexit ${code}\n`);
  await chmod(file, 0o755);
  return file;
}

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await once(child, 'exit');
  return child.pid!;
}

describe('findBrowser: the order', () => {
  it('takes CHROME_PATH over a browser on PATH', async () => {
    const bin = await dir('order-1/bin');
    await fakeExecutable(path.join(bin, 'chromium'), 'Chromium 999.0');
    const mine = await fakeExecutable(path.join(await dir('order-1/mine'), 'my-chrome'), 'Google Chrome 998.0');
    const found = await findBrowser({ env: { CHROME_PATH: mine, PATH: bin }, systemPaths: [] });
    expect(found).toEqual({ executablePath: mine, source: 'CHROME_PATH', env: {} });
  });

  it('says so when CHROME_PATH names a missing file, a directory or a file that is not executable', async () => {
    const d = await dir('order-2');
    const bin = await dir('order-2/bin');
    await fakeExecutable(path.join(bin, 'chromium'), 'Chromium 999.0');
    const missing = path.join(d, 'no-such-chrome');
    await expect(findBrowser({ env: { CHROME_PATH: missing, PATH: bin } })).rejects.toThrow(`CHROME_PATH=${missing}: no such file`);
    await expect(findBrowser({ env: { CHROME_PATH: bin, PATH: bin } })).rejects.toThrow(`CHROME_PATH=${bin}: not a file`);
    const plain = path.join(d, 'chrome.txt');
    await writeFile(plain, 'not a program');
    await expect(findBrowser({ env: { CHROME_PATH: plain, PATH: bin } })).rejects.toThrow(`CHROME_PATH=${plain}: not executable`);
  });

  it('without CHROME_PATH, takes the first Chrome or Chromium on PATH that answers --version', async () => {
    const first = await dir('order-3/first');
    const second = await dir('order-3/second');
    // Like Ubuntu's chromium-browser without the snap: present on PATH, but no browser.
    await fakeExecutable(path.join(first, 'chromium'), 'Command requires the chromium snap to be installed', 1);
    const chrome = await fakeExecutable(path.join(second, 'google-chrome'), 'Google Chrome 997.0');
    const found = await findBrowser({ env: { PATH: [first, second].join(path.delimiter) }, systemPaths: [] });
    expect(found).toEqual({ executablePath: chrome, source: 'system', env: {} });
  });

  it('then looks at the usual places', async () => {
    const empty = await dir('order-4/bin');
    const usual = await fakeExecutable(path.join(await dir('order-4/opt'), 'chrome'), 'Chromium 996.0');
    const found = await findBrowser({ env: { PATH: empty }, systemPaths: [path.join(empty, 'absent'), usual] });
    expect(found).toEqual({ executablePath: usual, source: 'system', env: {} });
  });
});

describe('cacheRoot: a per-user cache directory', () => {
  const uid = process.getuid!();

  it('is $XDG_CACHE_HOME/engage, else ~/.cache/engage (a relative XDG_CACHE_HOME is ignored)', async () => {
    const xdg = await dir('cache-1/xdg');
    const home = await dir('cache-1/home');
    expect(await cacheRoot({ XDG_CACHE_HOME: xdg, HOME: home })).toBe(path.join(xdg, 'engage'));
    expect(await cacheRoot({ XDG_CACHE_HOME: 'relative/cache', HOME: home })).toBe(path.join(home, '.cache', 'engage'));
    expect(await cacheRoot({ HOME: home })).toBe(path.join(home, '.cache', 'engage'));
    expect((await stat(path.join(home, '.cache', 'engage'))).isDirectory()).toBe(true);
  });

  it('falls back to a private <tmpdir>/engage-chromium-<uid> when the home cannot hold it', async () => {
    const d = await dir('cache-2');
    const notADir = path.join(d, 'home-is-a-file');
    await writeFile(notADir, '');
    const tmpdir = await dir('cache-2/tmp');
    const root = await cacheRoot({ HOME: notADir }, { tmpdir, uid });
    expect(root).toBe(path.join(tmpdir, `engage-chromium-${uid}`));
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    // Reused on the next call.
    expect(await cacheRoot({ HOME: notADir }, { tmpdir, uid })).toBe(root);
  });

  it('refuses a fallback directory that another user could have planted', async () => {
    const d = await dir('cache-3');
    const notADir = path.join(d, 'home-is-a-file');
    await writeFile(notADir, '');
    const viaLink = await dir('cache-3/link');
    await symlink(await dir('cache-3/elsewhere'), path.join(viaLink, `engage-chromium-${uid}`));
    await expect(cacheRoot({ HOME: notADir }, { tmpdir: viaLink, uid })).rejects.toThrow('is not a private directory');
    const open = await dir('cache-3/open');
    await mkdir(path.join(open, `engage-chromium-${uid}`));
    await chmod(path.join(open, `engage-chromium-${uid}`), 0o777);
    await expect(cacheRoot({ HOME: notADir }, { tmpdir: open, uid })).rejects.toThrow('is not a private directory');
  });
});

describe('installOnce', () => {
  it('leaves nothing behind when making the file fails, and keeps a finished file', async () => {
    const d = await dir('install-1');
    const target = path.join(d, 'thing');
    await expect(installOnce(target, async (t) => {
      await writeFile(t, 'half');
      throw new Error('killed halfway');
    })).rejects.toThrow('killed halfway');
    expect(await readdir(d)).toEqual([]);
    await installOnce(target, (t) => writeFile(t, 'whole'));
    await installOnce(target, (t) => writeFile(t, 'another'));
    expect(await readFile(target, 'utf8')).toBe('whole');
    expect(await readdir(d)).toEqual(['thing']);
  });
});

describe('the packaged Chromium (@sparticuz/chromium)', () => {
  let xdg: string;
  let bin: string;
  let cacheDir: string;
  /** A machine with nothing on PATH and nothing at the usual places. */
  const find = (env: Env = {}, more: { systemFontsConfig?: string; log?: (line: string) => void } = {}) =>
    findBrowser({ env: { PATH: bin, XDG_CACHE_HOME: xdg, ...env }, systemPaths: [], packageDir: PACKAGE_DIR, ...more });

  /** What the cache directory holds, but for what the browser makes there when it runs. */
  const cacheEntries = async () => (await readdir(cacheDir)).filter((n) => !['fontconfig-cache', 'locales'].includes(n)).sort();
  /** Whether the binary starts with this machine's own shared libraries. */
  const systemLibrariesLoad = (exe: string) => spawnSync(exe, ['--version'], { env: { PATH: bin } }).status === 0;

  beforeAll(async () => {
    xdg = await dir('packaged/xdg');
    bin = await dir('packaged/bin');
    cacheDir = path.join(xdg, 'engage', `chromium-${PACKAGE_VERSION}`);
  });

  it('is decompressed into the per-user cache once, for two parallel calls, and then reused', async () => {
    const told: string[] = [];
    const log = (line: string) => told.push(line);
    const [a, b] = await Promise.all([find({}, { log }), find({}, { log })]);
    expect(told).toEqual([`Decompressing Chromium ${PACKAGE_VERSION} from @sparticuz/chromium into ${cacheDir} (once)`]);
    const exe = path.join(cacheDir, 'chromium');
    expect(a).toEqual(b);
    const first = await stat(exe);
    expect(first.mode & 0o777).toBe(0o755);
    const version = spawnSync(exe, ['--version'], { env: { ...a.env, PATH: bin }, encoding: 'utf8' });
    expect(version.stdout).toMatch(new RegExp(`^Chromium ${PACKAGE_VERSION.split('.')[0]}\\.`));
    // The package's NSS libraries only where this machine's do not load (see the last test).
    const own = systemLibrariesLoad(exe);
    expect(a).toEqual({
      executablePath: exe,
      source: '@sparticuz/chromium',
      env: { FONTCONFIG_FILE: path.join(cacheDir, 'fonts.conf'), ...(own ? {} : { LD_LIBRARY_PATH: path.join(cacheDir, 'al2023', 'lib') }) },
    });
    expect(await cacheEntries()).toEqual([...(own ? [] : ['al2023']), 'chromium', 'fonts', 'fonts.conf']);

    const again = await find({}, { log });
    expect(again).toEqual(a);
    expect(told).toHaveLength(1);
    const second = await stat(exe);
    expect([second.ino, second.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
  }, 120_000);

  it('clears what a killed run left half-written and extracts again', async () => {
    await find();
    await rm(path.join(cacheDir, 'fonts'), { recursive: true });
    const partial = path.join(cacheDir, `fonts.${await deadPid()}.0123abcd.partial`);
    await mkdir(partial);
    await writeFile(path.join(partial, 'half.ttf'), '');
    await find();
    const own = systemLibrariesLoad(path.join(cacheDir, 'chromium'));
    expect(await cacheEntries()).toEqual([...(own ? [] : ['al2023']), 'chromium', 'fonts', 'fonts.conf']);
    expect((await readdir(path.join(cacheDir, 'fonts', 'fonts', 'Open_Sans'))).sort()).toEqual(['OpenSans-Bold.ttf', 'OpenSans-Italic.ttf', 'OpenSans-Regular.ttf']);
  }, 120_000);

  /** Launches `found` as the tests do and returns the size and font of a line of text. */
  async function renderText(found: FoundBrowser, base: Env): Promise<{ height: number; fonts: string[] }> {
    const browser = await chromium.launch({ executablePath: found.executablePath, headless: true, args: LAUNCH_ARGS, env: browserEnv(found, base) });
    try {
      const page = await browser.newPage();
      await page.setContent('<p id="t" style="font: 20px sans-serif">Hello from Engage</p>');
      const box = await page.locator('#t').boundingBox();
      const cdp = await page.context().newCDPSession(page);
      const { root } = await cdp.send('DOM.getDocument');
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#t' });
      await cdp.send('CSS.enable');
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      return { height: box?.height ?? 0, fonts: fonts.map((f) => f.familyName) };
    } finally {
      await browser.close();
    }
  }

  it('renders text with the system fonts, and with its own where the system has none', async () => {
    const withSystem = await renderText(await find(), { PATH: bin, HOME: tmp });
    expect(withSystem.height).toBeGreaterThan(10);
    expect(withSystem.fonts.length).toBe(1);
    const noSystemFonts = await find({}, { systemFontsConfig: path.join(tmp, 'no-fonts-here.conf') });
    expect(await renderText(noSystemFonts, { PATH: bin, HOME: tmp })).toMatchObject({ fonts: ['Open Sans'] });
  }, 120_000);

  it("brings the package's NSS libraries where the system's do not load", async () => {
    // A libnss3.so that cannot load, found before the system's: as if the system had none.
    const broken = await dir('packaged/broken-lib');
    await writeFile(path.join(broken, 'libnss3.so'), '');
    const base = { LD_LIBRARY_PATH: broken };
    const found = await find(base);
    const exe = path.join(cacheDir, 'chromium');
    const without = spawnSync(exe, ['--version'], { env: { ...base, FONTCONFIG_FILE: found.env.FONTCONFIG_FILE }, encoding: 'utf8' });
    expect(without.status).not.toBe(0);
    expect(without.stderr).toMatch(/error while loading shared libraries: \S*lib(nss3|nspr4|nssutil3)\.so/);
    expect(found.env.LD_LIBRARY_PATH).toBe(`${path.join(cacheDir, 'al2023', 'lib')}:${broken}`);
    expect((await renderText(found, { PATH: bin, HOME: tmp, ...base })).height).toBeGreaterThan(10);
  }, 120_000);
});
