/**
 * The parts of webhook delivery on their own: the retry decision and Retry-After, the address
 * policy (also where a delivery connects), the signature against the reference library, the
 * concurrency limiter, and the settings.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { isPublicAddress } from '../../src/webhooks/address-policy.js';
import { KeyedLimiter } from '../../src/webhooks/limiter.js';
import { decide, MAX_RETRY_AFTER_MS, retryAfterMs } from '../../src/webhooks/retry-policy.js';
import { MAX_RESPONSE_BYTES, Sender } from '../../src/webhooks/sender.js';
import { newSecret, secretBytes, signedHeaders } from '../../src/webhooks/signing.js';
import { sleep } from '../support/api.js';
import { startReceiver } from '../support/webhook-receiver.js';

const SCHEDULE = [5_000, 30_000, 120_000];
const NOW = Date.parse('2026-12-02T10:00:00Z');

describe('retry decision', () => {
  it('2xx delivered, 410 disables, others retried on the schedule, then failed', () => {
    for (const status of [200, 201, 204, 299])
      expect(decide({ statusCode: status }, 1, SCHEDULE, NOW)).toEqual({ kind: 'delivered' });
    expect(decide({ statusCode: 410 }, 1, SCHEDULE, NOW)).toEqual({ kind: 'disable' });
    for (const status of [null, 301, 400, 404, 500, 502]) {
      expect(decide({ statusCode: status }, 1, SCHEDULE, NOW)).toEqual({ kind: 'retry', delayMs: 5_000 });
      expect(decide({ statusCode: status }, 3, SCHEDULE, NOW)).toEqual({ kind: 'retry', delayMs: 120_000 });
      expect(decide({ statusCode: status }, 4, SCHEDULE, NOW)).toEqual({ kind: 'failed' });
    }
  });

  it('Retry-After on 429 and 503 lengthens a wait, never shortens it, and is capped', () => {
    expect(decide({ statusCode: 429, retryAfter: '60' }, 1, SCHEDULE, NOW)).toEqual({ kind: 'retry', delayMs: 60_000 });
    expect(decide({ statusCode: 503, retryAfter: '1' }, 2, SCHEDULE, NOW)).toEqual({ kind: 'retry', delayMs: 30_000 });
    expect(decide({ statusCode: 500, retryAfter: '600' }, 1, SCHEDULE, NOW)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(decide({ statusCode: 429, retryAfter: '99999999' }, 1, SCHEDULE, NOW)).toEqual({
      kind: 'retry',
      delayMs: MAX_RETRY_AFTER_MS,
    });
    expect(decide({ statusCode: 429, retryAfter: 'soon' }, 1, SCHEDULE, NOW)).toEqual({
      kind: 'retry',
      delayMs: 5_000,
    });
    // Retry-After does not add attempts past the schedule.
    expect(decide({ statusCode: 429, retryAfter: '10' }, 4, SCHEDULE, NOW)).toEqual({ kind: 'failed' });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('120', NOW)).toBe(120_000);
    expect(retryAfterMs(' 0 ', NOW)).toBe(0);
    expect(retryAfterMs('Wed, 02 Dec 2026 10:01:30 GMT', NOW)).toBe(90_000);
    expect(retryAfterMs('Wed, 02 Dec 2026 09:00:00 GMT', NOW)).toBe(0);
    expect(retryAfterMs('-5', NOW)).toBeNull();
    expect(retryAfterMs('1.5', NOW)).toBeNull();
    expect(retryAfterMs('tomorrow-ish', NOW)).toBeNull();
  });
});

describe('address policy', () => {
  it('public unicast only', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
    for (const address of [
      '127.0.0.1',
      '127.8.8.8',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not an address',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('a delivery checks the address it connects to: a name resolving to loopback is refused unless allowed', async () => {
    const receiver = await startReceiver();
    const { port } = new URL(receiver.url);
    const strict = new Sender({ timeoutMs: 2_000, allowPrivate: false, connectionsPerOrigin: 1 });
    const open = new Sender({ timeoutMs: 2_000, allowPrivate: true, connectionsPerOrigin: 1 });
    try {
      for (const url of [
        `http://localhost:${port}/hook`,
        `http://127.0.0.1:${port}/hook`,
        `http://[::ffff:127.0.0.1]:${port}/hook`,
      ]) {
        const refused = await strict.attempt(url, {}, '{}');
        expect(refused, url).toMatchObject({ statusCode: null, error: 'PRIVATE_ADDRESS' });
      }
      await sleep(50);
      expect(receiver.received.length + receiver.unverified.length).toBe(0);
      const allowed = await open.attempt(`http://localhost:${port}/hook`, {}, '{}');
      expect(allowed).toMatchObject({ statusCode: 204, error: null });
    } finally {
      await strict.close();
      await open.close();
      await receiver.close();
    }
  });

  it('reads an answer up to 64 KB: a receiver that sends more and never ends is left at once, its status kept', async () => {
    let bytesSent = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = 'x'.repeat(16 * 1024);
        // 128 KB, then the response stays open.
        for (let i = 0; i < 8; i++) res.write(chunk);
        bytesSent = 8 * chunk.length;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sender = new Sender({ timeoutMs: 3_000, allowPrivate: true, connectionsPerOrigin: 1 });
    try {
      const answered = await sender.attempt(`http://127.0.0.1:${port}/hook`, {}, '{}');
      expect(answered).toMatchObject({ statusCode: 200, error: null });
      expect(bytesSent).toBeGreaterThan(MAX_RESPONSE_BYTES);
      // Not held until the timeout by a body that never ends.
      expect(answered.durationMs).toBeLessThan(1_500);
    } finally {
      await sender.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a refused connection and a timeout are logged as codes', async () => {
    const receiver = await startReceiver();
    receiver.answer(() => ({ hang: true }));
    const sender = new Sender({ timeoutMs: 200, allowPrivate: true, connectionsPerOrigin: 1 });
    try {
      const timedOut = await sender.attempt(receiver.url, {}, '{}');
      expect(timedOut).toMatchObject({ statusCode: null, error: 'TIMEOUT' });
      expect(timedOut.durationMs).toBeGreaterThanOrEqual(190);
      await receiver.close();
      const refused = await sender.attempt(receiver.url, {}, '{}');
      expect(refused).toMatchObject({ statusCode: null, error: 'ECONNREFUSED' });
    } finally {
      await sender.close();
    }
  });
});

describe('signature', () => {
  it('the reference library verifies ours, and refuses it under another secret or body', () => {
    const secret = newSecret();
    const at = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'call.created', data: { name: 'Иван' } });
    const headers = signedHeaders(secretBytes(secret), 'msg_abc', at, body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // The library's own signature is the same bytes.
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('msg_abc', new Date(at * 1000), body));
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });
});

describe('limiter', () => {
  it('never runs more than its bounds, per key and in all; a blocked key never holds up another', async () => {
    const limiter = new KeyedLimiter(2, 3);
    let running = 0;
    let peak = 0;
    const perKey = new Map<string, number>();
    let peakKey = 0;
    const done: string[] = [];
    // The slow key's tasks wait until released: only the bounds decide what else may run.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const task = (key: string, i: number) => async () => {
      running++;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      peak = Math.max(peak, running);
      peakKey = Math.max(peakKey, perKey.get(key) ?? 0);
      if (key === 'slow') await released;
      else await sleep(1);
      perKey.set(key, (perKey.get(key) ?? 0) - 1);
      running--;
      done.push(`${key}${i}`);
    };
    const runs = [];
    for (let i = 0; i < 6; i++) runs.push(limiter.run('slow', task('slow', i)));
    for (let i = 0; i < 6; i++) runs.push(limiter.run('fast', task('fast', i)));
    await Promise.all(runs.slice(6));
    // Every fast task ran while the slow key held its two slots and no more.
    expect([...done].sort()).toEqual(['fast0', 'fast1', 'fast2', 'fast3', 'fast4', 'fast5']);
    expect(perKey.get('slow')).toBe(2);
    expect(limiter.queued).toBe(4);
    release();
    await Promise.all(runs);
    expect(done).toHaveLength(12);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peakKey).toBeLessThanOrEqual(2);
  });
});

describe('settings', () => {
  it('WEBHOOK_RETRY_SCHEDULE: comma-separated seconds, fractions allowed; the SPEC default', () => {
    expect(loadConfig({}).webhooks).toEqual({
      retryScheduleMs: [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000],
      allowPrivate: false,
      timeoutMs: 10_000,
      concurrencyPerEndpoint: 64,
    });
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0.1, 0.25,2' }).webhooks.retryScheduleMs).toEqual([100, 250, 2_000]);
    for (const bad of ['5,,30', 'five', '0', '-1', '5,1e9', Array.from({ length: 21 }, () => '1').join(',')]) {
      expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: bad }), bad).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
    }
  });

  it('WEBHOOK_ALLOW_PRIVATE is true or false; WEBHOOK_TIMEOUT_SECONDS a positive number', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }).webhooks.allowPrivate).toBe(true);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'false' }).webhooks.allowPrivate).toBe(false);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
    expect(loadConfig({ WEBHOOK_TIMEOUT_SECONDS: '0.5' }).webhooks.timeoutMs).toBe(500);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_SECONDS: '0' })).toThrow(/WEBHOOK_TIMEOUT_SECONDS/);
  });

  it('WEBHOOK_CONCURRENCY is an integer from 1 to 1024, 64 by default', () => {
    expect(loadConfig({}).webhooks.concurrencyPerEndpoint).toBe(64);
    expect(loadConfig({ WEBHOOK_CONCURRENCY: '4' }).webhooks.concurrencyPerEndpoint).toBe(4);
    for (const bad of ['0', '1025', '2.5', 'many', '-1'])
      expect(() => loadConfig({ WEBHOOK_CONCURRENCY: bad }), bad).toThrow(/WEBHOOK_CONCURRENCY/);
  });
});
