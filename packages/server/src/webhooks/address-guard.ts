/**
 * SSRF protection for webhook deliveries.
 *
 * Webhook URLs are typed in by workspace users, so without a guard anyone could make the server
 * POST to its own database admin port, a cloud metadata endpoint (169.254.169.254) or a machine
 * on the operator's private network. The check runs inside the HTTP client's connect step, on the
 * addresses the socket is about to use: checking a URL once when it is saved (or just before
 * sending) is not enough, because a hostile DNS server can answer "public" to the check and
 * "127.0.0.1" to the connect (DNS rebinding).
 */
import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { Dispatcher } from 'undici';

const v4Blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches localhost on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes 255.255.255.255 broadcast
] as const) {
  v4Blocked.addSubnet(net, prefix, 'ipv4');
}

const v6Blocked = new BlockList();
v6Blocked.addAddress('::1', 'ipv6');
v6Blocked.addAddress('::', 'ipv6');
v6Blocked.addSubnet('fc00::', 7, 'ipv6'); // unique local
v6Blocked.addSubnet('fe80::', 10, 'ipv6'); // link-local
v6Blocked.addSubnet('ff00::', 8, 'ipv6'); // multicast
v6Blocked.addSubnet('64:ff9b:1::', 48, 'ipv6'); // local-use NAT64 (RFC 8215): private by definition

/** Parses an IPv6 address (with or without a dotted-quad tail) into its 16 bytes. */
function ipv6Bytes(ip: string): number[] | null {
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = text.slice(lastColon + 1);
    if (!isIPv4(v4)) return null;
    tail.push(...v4.split('.').map(Number));
    text = text.slice(0, lastColon + 1) + '0:0'; // placeholder groups, replaced by `tail` below
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  if (rest === undefined ? missing !== 0 : missing < 0) return null;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...restGroups];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const bytes = groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes.length === 16 ? bytes : null;
}

/** The IPv4 address an IPv6 address stands for (IPv4-mapped or well-known NAT64), if any. */
function embeddedIPv4(bytes: number[]): string | null {
  const last4 = bytes.slice(12).join('.');
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  const nat64 = [0x00, 0x64, 0xff, 0x9b];
  const isNat64 = nat64.every((b, i) => bytes[i] === b) && bytes.slice(4, 12).every((b) => b === 0);
  return isMapped || isNat64 ? last4 : null;
}

/**
 * True when `ip` is loopback, private, link-local, multicast, reserved or otherwise not a public
 * unicast address. Anything that is not a parseable IP counts as private, so a surprise input
 * fails closed.
 */
export function isPrivateAddress(ip: string): boolean {
  // Zone ids ("fe80::1%eth0") only ever come with link-local addresses; the address part decides.
  const address = ip.split('%')[0] ?? '';
  if (isIPv4(address)) return v4Blocked.check(address, 'ipv4');
  if (!isIPv6(address)) return true;
  const bytes = ipv6Bytes(address);
  if (bytes === null) return true;
  const v4 = embeddedIPv4(bytes);
  if (v4 !== null) return v4Blocked.check(v4, 'ipv4');
  return v6Blocked.check(address, 'ipv6');
}

/** Raised (as the connect error) when a webhook host is or resolves to a private address. */
export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(`blocked private address ${address}` + (hostname === address ? '' : ` (resolved from ${hostname})`));
    this.name = 'BlockedAddressError';
  }
}

/** Resolves every address of a host; the default is the OS resolver that `net.connect` uses. */
export type HostResolver = (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>;

const systemResolver: HostResolver = (hostname, options) =>
  dns.promises.lookup(hostname, { ...options, all: true });

/**
 * A `lookup` for `net.connect` that refuses the connection when any resolved address is private.
 * All addresses are checked, not just the first, since the socket may fall back to any of them.
 * Node calls it with `all: true` when it races IPv4/IPv6 (autoSelectFamily) and expects the
 * single-address callback form otherwise, so both are answered.
 */
export function createGuardedLookup(allowPrivate: boolean, resolve: HostResolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options).then(
      (addresses) => {
        const blocked = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
        const first = addresses[0];
        if (blocked) callback(new BlockedAddressError(hostname, blocked.address), '');
        else if (first === undefined) callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
        else if (options.all === true) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

export interface WebhookDispatcherOptions {
  /** Let webhooks reach private/loopback addresses (self-hosted receivers on the same network). */
  allowPrivate: boolean;
  /** Give up on a TCP/TLS connect after this long. Default 5000. */
  connectTimeoutMs?: number;
}

/**
 * The undici dispatcher every webhook delivery goes through. Host names are checked by the guarded
 * lookup; IP-literal hosts are checked here, because `net.connect` never calls `lookup` for them.
 */
export function createWebhookDispatcher(opts: WebhookDispatcherOptions): Dispatcher {
  const connector = buildConnector({
    timeout: opts.connectTimeoutMs ?? 5000,
    lookup: createGuardedLookup(opts.allowPrivate),
  });
  const connect: buildConnector.connector = (options, callback) => {
    const host = options.hostname;
    if (!opts.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
      callback(new BlockedAddressError(host, host), null);
      return;
    }
    connector(options, callback);
  };
  return new Agent({ connect });
}

/** Longest webhook URL we store; longer ones are almost certainly pasted by mistake. */
const MAX_URL_LENGTH = 2048;

export type WebhookUrlCheck = { ok: true; url: string } | { ok: false; message: string };

/**
 * Shape check for a webhook URL as entered by a user. Private addresses are not refused here: that
 * depends on the operator's setting, and for host names only the connect-time check is reliable.
 */
export function validateWebhookUrl(raw: string): WebhookUrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, message: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, message: 'must be an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: 'must use http or https' };
  if (url.hostname === '') return { ok: false, message: 'must name a host' };
  // Credentials in the URL would be stored and logged in clear; receivers should use the signature.
  if (url.username !== '' || url.password !== '') return { ok: false, message: 'must not contain a user name or password' };
  return { ok: true, url: url.href };
}
