/**
 * SPEC §5: no personal data (customer names) in logs, at any level; SPEC §4: at info level
 * one line per request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SseReader } from '../support/api.js';
import { request, startServer } from '../support/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Names that occur nowhere else (not in the catalogue, not in the code).
const NAMES = ['Евлампий', 'Ксенофонтович', 'Зинаида', 'Аркадьевна', 'Prokhor', 'Zakharovich'];

/** Every kind of request a name can travel in: valid ones, refused ones, broken ones. */
async function exercise(base: string, callId: string) {
  const customer = { firstName: 'Евлампий', patronymic: 'Ксенофонтович' };
  const calls: [string, string, unknown, number][] = [
    ['POST', '/v1/calls', { callId, customer }, 201],
    ['POST', '/v1/calls', { callId, customer }, 200],
    ['POST', '/v1/calls', { callId, customer: { firstName: 'Зинаида' } }, 409],
    [
      'POST',
      `/v1/calls/${callId}/events`,
      { type: 'customer.identified', id: 'n1', data: { firstName: 'Зинаида', patronymic: 'Аркадьевна' } },
      200,
    ],
    [
      'POST',
      `/v1/calls/${callId}/events`,
      { type: 'customer.identified', id: 'n1', data: { firstName: 'Prokhor' } },
      409,
    ],
    [
      'POST',
      `/v1/calls/${callId}/events`,
      { type: 'customer.identified', data: { firstName: 'Prokhor', patronymic: 7 } },
      400,
    ],
    [
      'POST',
      `/v1/calls/${callId}/events`,
      { type: 'customer.identified', data: { firstName: 'Zakharovich'.repeat(10) } },
      400,
    ],
    [
      'POST',
      `/v1/calls/${callId}/events`,
      { type: 'customer.identified', data: { firstName: 'Prokhor', nickname: 'Zakharovich' } },
      400,
    ],
    ['POST', `/v1/calls/${callId}/events`, { type: 'call.hold', data: { firstName: 'Prokhor' } }, 400],
    ['POST', `/v1/calls/${callId}/events`, { type: 'call.hold' }, 200],
    ['POST', `/v1/calls/${callId}/events`, { type: 'customer.speech' }, 200],
    ['POST', `/v1/calls/${callId}/events`, { type: 'answer.given' }, 409],
    ['POST', `/v1/calls/no-such-call/events`, { type: 'customer.identified', data: { firstName: 'Prokhor' } }, 404],
    ['GET', `/v1/calls/${callId}`, undefined, 200],
    ['GET', `/v1/calls/${callId}/history`, undefined, 200],
    ['GET', '/v1/calls', undefined, 200],
    ['POST', `/v1/calls/${callId}/events`, { type: 'call.hangup', data: { by: 'customer' } }, 200],
    ['POST', `/v1/calls/${callId}/events`, { type: 'customer.identified', data: { firstName: 'Prokhor' } }, 409],
  ];
  for (const [method, path, body, status] of calls) {
    const reply = await request(base, method, path, body);
    expect(reply.status, `${method} ${path} ${JSON.stringify(reply.body)}`).toBe(status);
  }
  // Broken JSON and the wrong content type, with names inside.
  for (const [type, payload, status] of [
    ['application/json', '{"type":"customer.identified","data":{"firstName":"Prokhor Zakharovich"', 400],
    ['text/plain', 'Prokhor Zakharovich', 415],
  ] as const) {
    const res = await fetch(`${base}/v1/calls/${callId}/events`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: payload,
    });
    expect(res.status).toBe(status);
  }
  // A stream that carries the names.
  const stream = await SseReader.open(`${base}/v1/calls/${callId}/stream`);
  await stream.waitFor((r) => r.messages.length >= 1);
  expect(stream.messages[0]?.data).toContain('Зинаида');
  stream.close();
  return calls.length + 2 + 1;
}

describe('logs', () => {
  it('at trace level the output never contains a customer name', { timeout: 200_000 }, async () => {
    const server = await startServer({
      DATABASE_URL: `sqlite:${join(dir, 'trace.db')}`,
      LOG_LEVEL: 'trace',
      HOLD_CHECK_SECONDS: '0.2',
    });
    try {
      await exercise(server.url, 'log-trace-1');
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const output = server.output();
    expect(output.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThan(20);
    for (const name of NAMES) {
      const hits = output.split('\n').filter((line) => line.toLowerCase().includes(name.toLowerCase()));
      expect(hits, `"${name}" in the log`).toEqual([]);
    }
  });

  it('at info level: one JSON line per request, with method, url, status and time; no names', {
    timeout: 60_000,
  }, async () => {
    const server = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'info.db')}`, LOG_LEVEL: 'info' });
    let sent = 0;
    const before = server.output().split('\n').length;
    try {
      sent = await exercise(server.url, 'log-info-1');
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const lines = server
      .output()
      .split('\n')
      .slice(before - 1)
      .filter((l) => l.trim() !== '');
    const records = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = records.filter((r) => r.msg === 'request');
    // Every request of the exercise (readiness polls may add a few before it).
    const ours = requests.filter((r) => String(r.url).startsWith('/v1/'));
    expect(ours.map((r) => `${r.method} ${r.url} ${r.status}`)).toHaveLength(sent);
    expect(new Set(ours.map((r) => r.reqId)).size).toBe(sent);
    for (const r of ours) {
      expect(r).toMatchObject({
        level: 30,
        method: expect.any(String),
        url: expect.any(String),
        status: expect.any(Number),
      });
      expect(typeof r.ms).toBe('number');
    }
    expect(ours.map((r) => r.status)).toContain(409);
    // Nothing else is logged per request at info (no second "request completed" line).
    expect(records.filter((r) => r.msg === 'incoming request' || r.msg === 'request completed')).toEqual([]);
    for (const name of NAMES) expect(server.output().toLowerCase()).not.toContain(name.toLowerCase());
  });
});

describe('stream request lines', () => {
  it('a stream is logged once when it ends, without its access_token', async () => {
    const { buildApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const lines: string[] = [];
    const app = await buildApp(
      loadConfig({ DATABASE_URL: 'sqlite::memory:', API_TOKENS: 'very-secret-token', LOG_LEVEL: 'info' }),
      { logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } },
    );
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      await fetch(`${base}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer very-secret-token' },
        body: JSON.stringify({ callId: 'token-stream' }),
      });
      const stream = await SseReader.open(`${base}/v1/calls/token-stream/stream?access_token=very-secret-token`);
      await stream.waitFor((r) => r.messages.length >= 1);
      stream.close();
      const deadline = Date.now() + 5_000;
      while (!lines.some((l) => l.includes('/stream')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      await app.close();
    }
    const streamLines = lines.filter((l) => l.includes('/stream')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(streamLines).toHaveLength(1);
    expect(streamLines[0]).toMatchObject({ msg: 'request', method: 'GET', status: 200 });
    expect(lines.join('')).not.toContain('very-secret-token');
  });
});
