import { once } from 'node:events';
import http from 'node:http';
import { Agent, errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { closeServer, listenOnLoopback } from '../../test/loopback.ts';
import { callProvider, DEADLINE_SLICE_MS, deadlineSignal, failureFromError, failureFromResponse, parseRetryAfter, type ProviderErrorTable } from './http-errors.ts';

const NOW = new Date('2025-11-24T15:30:00.000Z');
const TABLE: ProviderErrorTable = {
  '21610': { retryable: false, suppress: true, description: 'unsubscribed' },
  '30003': { retryable: true, description: 'unreachable' },
  '20003': { retryable: false, description: 'auth' },
};

describe('Retry-After', () => {
  it.each([
    ['7', 7000], [' 0 ', 0], ['Mon, 24 Nov 2025 15:30:30 GMT', 30_000], ['Mon, 24 Nov 2025 15:00:00 GMT', 0], ['soon', null], [undefined, null], [['3', '9'], 3000],
  ] as const)('%j → %j ms', (value, ms) => {
    expect(parseRetryAfter(value as string | string[] | undefined, NOW)).toBe(ms);
  });
});

describe('failureFromResponse', () => {
  it.each([
    // status, provider code, expected
    [400, '21610', { retryable: false, code: '21610', suppress: true }],
    [400, null, { retryable: false, code: 'HTTP_400' }],
    [401, '20003', { retryable: false, code: '20003' }],
    [404, null, { retryable: false, code: 'HTTP_404' }],
    [408, null, { retryable: true, code: 'HTTP_408' }],
    [429, null, { retryable: true, code: 'HTTP_429' }],
    [500, null, { retryable: true, code: 'HTTP_500' }],
    [503, '99999', { retryable: true, code: '99999' }],
    [400, '99999', { retryable: false, code: '99999' }],
    // The provider's code wins over the HTTP status when we know it.
    [500, '20003', { retryable: false, code: '20003' }],
    [400, '30003', { retryable: true, code: '30003' }],
  ] as const)('HTTP %i with code %s', (status, code, expected) => {
    const f = failureFromResponse({ status, headers: {} }, { code, message: null }, TABLE, NOW);
    expect(f).toMatchObject({ ok: false, ...expected });
    expect(f.message).toBeTruthy();
    if (!('suppress' in expected)) expect(f).not.toHaveProperty('suppress');
  });

  it("keeps the provider's message, else the table's, and the Retry-After", () => {
    expect(failureFromResponse({ status: 400, headers: {} }, { code: '21610', message: 'Attempt to send to unsubscribed recipient' }, TABLE, NOW).message).toBe('Attempt to send to unsubscribed recipient');
    expect(failureFromResponse({ status: 400, headers: {} }, { code: '21610', message: null }, TABLE, NOW).message).toBe('unsubscribed');
    expect(failureFromResponse({ status: 429, headers: { 'retry-after': '12' } }, { code: null, message: null }, TABLE, NOW)).toMatchObject({ retryable: true, retryAfterMs: 12_000 });
  });
});

describe('failureFromError', () => {
  const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
  it.each([
    ['a refused connection', withCode('ECONNREFUSED'), { code: 'NETWORK', retryable: true }, false],
    ['an unknown host', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }), { code: 'NETWORK', retryable: true }, false],
    ['a connect timeout', new undiciErrors.ConnectTimeoutError(), { code: 'NETWORK', retryable: true }, false],
    ['the deadline (AbortSignal.timeout)', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), { code: 'TIMEOUT', retryable: true }, true],
    ['a headers timeout', new undiciErrors.HeadersTimeoutError(), { code: 'TIMEOUT', retryable: true }, true],
    ['a body timeout', new undiciErrors.BodyTimeoutError(), { code: 'TIMEOUT', retryable: true }, true],
    ['a reset connection', withCode('ECONNRESET'), { code: 'NETWORK', retryable: true }, true],
    ['a closed socket', new undiciErrors.SocketError('other side closed'), { code: 'NETWORK', retryable: true }, true],
  ])('%s', (_what, err, expected, maybeSent) => {
    const f = failureFromError(err);
    expect(f).toMatchObject({ ok: false, ...expected });
    expect(f.maybeSent === true).toBe(maybeSent);
  });
});

describe('the deadline of a provider call', () => {
  it('is one signal per slice of start time and timeout, aborting with a TimeoutError no earlier than the timeout', async () => {
    const t0 = Date.now();
    const signal = deadlineSignal(80, t0);
    expect(deadlineSignal(80, t0)).toBe(signal);
    expect(deadlineSignal(81, t0)).not.toBe(signal);
    expect(deadlineSignal(80, t0 + DEADLINE_SLICE_MS)).not.toBe(signal);
    expect(signal.aborted).toBe(false);
    await once(signal, 'abort');
    // Timers may fire up to a millisecond early by the wall clock.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(79);
    expect(signal.reason).toMatchObject({ name: 'TimeoutError' });
    expect(failureFromError(signal.reason)).toMatchObject({ code: 'TIMEOUT', retryable: true, maybeSent: true });
    // A call starting after that gets a deadline of its own.
    expect(deadlineSignal(80).aborted).toBe(false);
  });

  it('ends a call whose answer never comes, and leaves the others of its slice alone', async () => {
    let hold = true;
    const server = http.createServer((req, res) => {
      if (req.url === '/slow' && hold) return; // never answers
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const url = await listenOnLoopback(server);
    // Long per-phase timeouts: only the overall deadline can end the slow call.
    const agent = new Agent({ headersTimeout: 60_000, bodyTimeout: 60_000 });
    try {
      const call = (path: string) => callProvider(agent, url + path, { method: 'GET', headers: {}, timeoutMs: 150 });
      const [slow, fast] = await Promise.allSettled([call('/slow'), call('/fast')]);
      expect(fast).toMatchObject({ status: 'fulfilled', value: { status: 200, text: '{"ok":true}' } });
      expect(slow.status).toBe('rejected');
      expect(failureFromError((slow as PromiseRejectedResult).reason)).toMatchObject({ code: 'TIMEOUT', maybeSent: true });
    } finally {
      hold = false;
      await agent.close();
      await closeServer(server);
    }
  });
});
