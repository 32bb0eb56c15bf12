/**
 * The `engage` CLI as a shell user meets it: real processes (bin/engage.js), their output and exit
 * codes — help and usage errors, `keys` on the database, `import` against a running Engage, and
 * `demo` from start to Ctrl-C.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTs } from '../../test/child-process.ts';
import { createTestDatabase } from '../../test/db.ts';
import { TEST_API_KEY, TEST_SECRET, startTestEngage, type TestEngage } from '../../test/harness.ts';

const ENGAGE = 'packages/server/bin/engage.js';
const tmp = mkdtempSync(path.join(tmpdir(), 'engage-cli-'));

/** Runs `engage …` to completion. */
async function engageCli(args: string[], env: Record<string, string> = {}) {
  const child = runTs(ENGAGE, args, { env: { ENGAGE_DATA_DIR: path.join(tmp, 'data'), ENGAGE_SECRET: TEST_SECRET, LOG_LEVEL: 'warn', ...env } });
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

let engage: TestEngage;
let campaignId: string;
beforeAll(async () => {
  engage = await startTestEngage();
  const created = await engage.api('POST', '/api/public/engage/campaigns', { name: 'CLI import', messages: { outgoingMessage: 'Hi {{FirstName}}' } });
  expect(created.status).toBe(201);
  campaignId = created.body.id;
});
afterAll(async () => {
  await engage?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('engage --help and usage errors', () => {
  it('prints the commands and each command\'s help with exit 0', async () => {
    const top = await engageCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['start', 'api', 'worker', 'migrate', 'demo', 'import', 'keys']) expect(top.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const commands = ['start', 'api', 'worker', 'migrate', 'demo', 'import', 'keys'];
    const helps = await Promise.all(commands.map((c) => engageCli([c, '--help'])));
    commands.forEach((c, i) => {
      expect([c, helps[i]!.code]).toEqual([c, 0]);
      expect(helps[i]!.stdout).toMatch(new RegExp(`^Usage: engage ${c}`));
    });
    expect((await engageCli(['help', 'import'])).stdout).toMatch(/^Usage: engage import <file.csv> --campaign <id>/);
  });

  it('answers a usage error with exit 2 and a hint on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [[], /^Usage: engage <command>/],
      [['frobnicate'], /^engage: unknown command "frobnicate"\nRun "engage --help" for usage\./],
      [['import'], /^engage import: missing the CSV file\nRun "engage import --help"/],
      [['import', 'x.csv'], /--campaign <id> is required/],
      [['import', 'x.csv', '--campaign', 'nope'], /is not a campaign id/],
      [['import', 'missing.csv', '--campaign', 'a'.repeat(24)], /cannot read "missing.csv"/],
      [['import', 'x.csv', '--bogus'], /Unknown option '--bogus'/],
      [['keys'], /^engage keys: missing action: create, list or revoke/],
      [['keys', 'rotate'], /unknown keys action "rotate"/],
      [['demo', '--leads', '0'], /--leads must be an integer from 1 to 50/],
      [['start', 'now'], /"start" takes no arguments/],
    ];
    const results = await Promise.all(cases.map(([args]) => engageCli(args)));
    cases.forEach(([args, pattern], i) => {
      expect([args, results[i]!.code]).toEqual([args, 2]);
      expect(args.length ? results[i]!.stderr : results[i]!.stdout).toMatch(pattern);
    });
  }, 90_000);
});

describe('engage keys', () => {
  it('creates a working key, lists it, revokes it (401 from then on)', async () => {
    const env = { DATABASE_URL: engage.databaseUrl };
    const created = await engageCli(['keys', 'create', '--name', 'ci robot'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^engk_[A-Za-z0-9_-]{32}$/);
    expect(created.stderr).toMatch(/shown only this once/);
    expect((await engage.api('GET', '/api/public/engage/workspace', undefined, { 'x-api-key': key })).status).toBe(200);

    const listed = await engageCli(['keys', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const keys = JSON.parse(listed.stdout) as { id: string; name: string; hint: string; revokedAt: string | null }[];
    const mine = keys.find((k) => k.name === 'ci robot')!;
    expect(mine).toMatchObject({ hint: `…${key.slice(-4)}`, revokedAt: null });
    expect(JSON.stringify(keys)).not.toContain(key);

    const revoked = await engageCli(['keys', 'revoke', mine.id], env);
    expect([revoked.code, revoked.stdout.trim()]).toEqual([0, `revoked key ${mine.id}`]);
    expect((await engage.api('GET', '/api/public/engage/workspace', undefined, { 'x-api-key': key })).status).toBe(401);
    expect((await engage.api('GET', '/api/public/engage/workspace')).status).toBe(200);
    const again = await engageCli(['keys', 'revoke', mine.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no active key/);
    const table = await engageCli(['keys', 'list'], env);
    expect(table.stdout.split('\n').find((l) => l.startsWith(`${mine.id} `))).toMatch(new RegExp(`^${mine.id} +ci robot +…\\S{4} +\\S+Z +revoked \\d{4}-`));
    expect((await engageCli(['keys', 'list', '--workspace', '999'], env)).code).toBe(2);
  }, 90_000);
});

describe('engage import', () => {
  const csv = path.join(tmp, 'people.csv');
  writeFileSync(csv, 'name,mobile,notes\nAda,(212) 555-0101,first\nBo,not a phone,second\nCy,212-555-0102,"with, comma"\n');

  it('loads the file with a column map, prints progress and the rejections', async () => {
    const r = await engageCli(['import', csv, '--campaign', campaignId, '--map', 'Phone=mobile,FirstName=0', '--list-name', 'From the CLI', '--url', engage.url, '--api-key', TEST_API_KEY, '--interval', '20']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^loaded 2 lead\(s\) into list [0-9a-f]{24}; rejected 1 \(INVALID_PHONE: 1\)\n {2}row 2: INVALID_PHONE "not a phone"/);
    expect(r.stderr).toMatch(/uploading people\.csv \(\d+ bytes\)/);
    expect(r.stderr).toMatch(/\[#{30}\] 100% 3(\/3)? rows/);
    const lists = await engage.api('GET', `/api/public/engage/campaigns/${campaignId}/lists`);
    const list = lists.body.lists.find((l: { name: string }) => l.name === 'From the CLI');
    expect(list.leads).toBe(2);
    const leads = await engage.api('GET', `/api/public/engage/lists/${list.id}/leads`);
    expect(leads.body.leads.map((l: any) => [l.phone, l.leadData])).toEqual([
      ['+12125550101', { Phone: '(212) 555-0101', FirstName: 'Ada' }],
      ['+12125550102', { Phone: '212-555-0102', FirstName: 'Cy' }],
    ]);
  }, 60_000);

  it('fails with exit 1 on an API error and 2 on a map naming a missing column', async () => {
    const missing = await engageCli(['import', csv, '--campaign', 'f'.repeat(24), '--map', 'Phone=mobile', '--url', engage.url, '--api-key', TEST_API_KEY]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^engage import: HTTP 404 NOT_FOUND: /m);
    const badKey = await engageCli(['import', csv, '--campaign', campaignId, '--map', 'Phone=mobile', '--url', engage.url, '--api-key', 'engk_nope']);
    expect([badKey.code, badKey.stderr]).toEqual([1, expect.stringMatching(/HTTP 401 UNAUTHORIZED/)]);
    const badMap = await engageCli(['import', csv, '--campaign', campaignId, '--map', 'Phone=cell', '--url', engage.url, '--api-key', TEST_API_KEY]);
    expect(badMap.code).toBe(2);
    expect(badMap.stderr).toMatch(/the file has no column "cell" \(columns: name, mobile, notes\)/);
  }, 60_000);
});

describe('engage demo', () => {
  it('sends, takes replies, prints verified webhooks and the URLs, and exits 0 on Ctrl-C', async () => {
    const database = await createTestDatabase();
    const demo = runTs(ENGAGE, ['demo', '--leads', '4'], {
      env: { DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', ENGAGE_SECRET: TEST_SECRET, ENGAGE_DATA_DIR: path.join(tmp, 'demo'), ENGAGE_SIMULATOR_RECEIPT_DELAY_MS: '20' },
    });
    try {
      await demo.waitFor(/Press Ctrl-C to stop\./, 60_000);
      const out = demo.stdout();
      for (const type of ['DeliveryResult', 'ConversationStarted', 'NewMessage', 'Disposition', 'OptOut']) {
        expect(out).toMatch(new RegExp(`^webhook › ${type} +lead [0-9a-f]{24} \\+1\\d{10} .*\\(signature verified\\)$`, 'm'));
      }
      expect(out).toMatch(/^demo +› campaign [0-9a-f]{24} ".*" is ACTIVE/m);
      expect(out).toMatch(/^webhook › ConversationStarted .* lead says "Yes! Tell me more\."/m);
      const docs = out.match(/API reference: +(http:\/\/\S+)/)![1]!;
      const widget = out.match(/Agent widget: +(http:\/\/\S+)/)![1]!;
      const key = out.match(/API key: +(engk_\S+)/)![1]!;
      expect((await fetch(docs)).status).toBe(200);
      expect((await fetch(widget)).status).toBe(200);
      const simulator = out.match(/Simulated phones: +(http:\/\/\S+)\/simulator/)![1]!;
      expect((await fetch(`${simulator}/api/public/engage/campaigns`, { headers: { 'x-api-key': key } })).status).toBe(200);
      expect(await demo.stop('SIGINT')).toBe(0);
      expect(demo.stdout()).toMatch(/stopping…\n$/);
    } finally {
      await demo.stop('SIGKILL');
      await database.drop();
    }
  }, 90_000);
});
