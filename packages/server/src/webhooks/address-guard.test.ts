import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlockedAddressError,
  createGuardedLookup,
  createWebhookDispatcher,
  isPrivateAddress,
  validateWebhookUrl,
} from './address-guard.ts';
import type { HostResolver } from './address-guard.ts';
import { closeServer, listenOnLoopback } from '../../test/loopback.ts';

describe('isPrivateAddress', () => {
  it.each([
    '0.0.0.0', '0.255.255.255', '10.0.0.1', '10.255.255.255', '100.64.0.1', '100.127.255.255',
    '127.0.0.1', '127.255.255.254', '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.0.0.8',
    '192.168.1.1', '198.18.0.1', '198.19.255.255', '224.0.0.1', '239.255.255.250', '240.0.0.1',
    '255.255.255.255', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', 'febf::1',
    'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe',
    '64:ff9b::7f00:1', '64:ff9b::10.0.0.1', '64:ff9b::c0a8:101', '64:ff9b:1::808:808',
    // Not an address at all: fail closed.
    'localhost', '', '1.2.3', '::g',
  ])('%s is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    '8.8.8.8', '1.1.1.1', '93.184.216.34', '9.255.255.255', '11.0.0.0', '100.63.255.255',
    '100.128.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255', '169.255.0.0', '172.15.255.255',
    '172.32.0.0', '192.0.1.1', '192.167.255.255', '192.169.0.0', '198.17.255.255', '198.20.0.0',
    '223.255.255.255', '2606:4700:4700::1111', '2001:4860:4860::8888', 'fbff::1', 'fec0::1',
    '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::808:808', '64:ff9b::8.8.8.8',
  ])('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });
});

/** Calls a lookup the way net.connect does and returns what it answered. */
function runLookup(resolver: HostResolver, allowPrivate: boolean, all: boolean) {
  const lookup = createGuardedLookup(allowPrivate, resolver);
  return new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => {
    lookup('hooks.example.com', { all }, (err, address, family) => resolve({ err, address, family }));
  });
}

const fixed = (...addresses: string[]): HostResolver => async () =>
  addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('createGuardedLookup', () => {
  it('passes public addresses through in both callback forms', async () => {
    const resolver = fixed('93.184.216.34', '2606:2800:220:1::1');
    expect(await runLookup(resolver, false, false)).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    const all = await runLookup(resolver, false, true);
    expect(all.err).toBeNull();
    expect(all.address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
  });

  it('refuses when any resolved address is private, not just the first', async () => {
    const { err } = await runLookup(fixed('93.184.216.34', '10.0.0.7'), false, true);
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect(err?.code).toBe('EBLOCKEDADDRESS');
    expect(err?.message).toBe('blocked private address 10.0.0.7 (resolved from hooks.example.com)');
  });

  it('checks again on every connect, so a rebinding DNS answer is caught', async () => {
    let calls = 0;
    const rebinding: HostResolver = async () => [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    expect((await runLookup(rebinding, false, false)).err).toBeNull();
    expect((await runLookup(rebinding, false, false)).err?.code).toBe('EBLOCKEDADDRESS');
  });

  it('allows private addresses when the operator allows them', async () => {
    expect(await runLookup(fixed('127.0.0.1'), true, false)).toEqual({ err: null, address: '127.0.0.1', family: 4 });
  });

  it('passes resolver failures through and treats an empty answer as not found', async () => {
    const failing: HostResolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect((await runLookup(failing, false, false)).err?.code).toBe('ENOTFOUND');
    expect((await runLookup(fixed(), false, false)).err?.code).toBe('ENOTFOUND');
  });
});

describe('createWebhookDispatcher', () => {
  let server: Server;
  let port: number;
  let connections: number;
  const dispatchers: Dispatcher[] = [];

  beforeEach(async () => {
    connections = 0;
    server = createServer((_req, res) => res.end('hello'));
    server.on('connection', () => connections++);
    port = Number(new URL(await listenOnLoopback(server)).port);
  });

  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.destroy()));
    await closeServer(server);
  });

  const dispatcher = (allowPrivate: boolean) => {
    const d = createWebhookDispatcher({ allowPrivate });
    dispatchers.push(d);
    return d;
  };

  it.each(['localhost', '127.0.0.1', '[::ffff:127.0.0.1]', '2130706433', '0x7f.1'])(
    'refuses http://%s before any connection when private addresses are not allowed',
    async (host) => {
      const attempt = request(`http://${host}:${port}/`, { method: 'POST', body: '{}', dispatcher: dispatcher(false) });
      await expect(attempt).rejects.toMatchObject({
        code: 'EBLOCKEDADDRESS',
        message: expect.stringMatching(/^blocked private address (127\.0\.0\.1|::ffff:7f00:1)/),
      });
      expect(connections).toBe(0);
    },
  );

  it.each(['localhost', '127.0.0.1'])('reaches http://%s when private addresses are allowed', async (host) => {
    const res = await request(`http://${host}:${port}/`, { method: 'POST', body: '{}', dispatcher: dispatcher(true) });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('hello');
    expect(connections).toBe(1);
  });
});

describe('validateWebhookUrl', () => {
  it.each([
    ['https://hooks.example.com/engage?x=1', 'https://hooks.example.com/engage?x=1'],
    ['http://hooks.example.com', 'http://hooks.example.com/'],
    ['  https://EXAMPLE.com/a  ', 'https://example.com/a'],
    ['http://127.0.0.1:8080/hook', 'http://127.0.0.1:8080/hook'],
  ])('accepts %s', (raw, url) => {
    expect(validateWebhookUrl(raw)).toEqual({ ok: true, url });
  });

  it.each([
    ['hooks.example.com/engage', /absolute/],
    ['/engage', /absolute/],
    ['http://', /absolute/],
    ['ftp://example.com/x', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['javascript:alert(1)', /http or https/],
    ['https://user:pass@example.com/', /user name or password/],
    ['https://token@example.com/', /user name or password/],
    ['https://:pass@example.com/', /user name or password/],
  ])('refuses %s', (raw, message) => {
    const check = validateWebhookUrl(raw);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(message);
  });

  it('accepts 2048 characters and refuses 2049', () => {
    const base = 'https://example.com/';
    expect(validateWebhookUrl(base + 'a'.repeat(2048 - base.length)).ok).toBe(true);
    expect(validateWebhookUrl(base + 'a'.repeat(2049 - base.length))).toEqual({ ok: false, message: 'must be at most 2048 characters' });
  });
});
