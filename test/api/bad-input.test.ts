/**
 * SPEC §3: "An error changes nothing that is stored." A table of wrong requests against a
 * SQLite file store, each with its status; a full dump of every table (read through its own
 * read-only connection) is the same before and after each one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { dumpSqlite, dumpText, rowCounts } from '../support/store-dump.js';

let dir: string;
let dbPath: string;
let app: TestApp;
let base: string;

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** One request over a real socket with exactly these bytes and headers. */
function send(method: string, path: string, body: string | Buffer | null, headers: Record<string, string>) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        headers: { ...headers, ...(body === null ? {} : { 'content-length': String(Buffer.byteLength(body)) }) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const json = (value: unknown) => JSON.stringify(value);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callflow-bad-input-'));
  dbPath = join(dir, 'x.db');
  app = await buildTestApp({ DATABASE_URL: `sqlite:${dbPath}`, HOLD_CHECK_SECONDS: '600' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  // Some state worth protecting: an active call in conversation, one on hold (a timer row),
  // one ended; events with ids.
  const ok = async (path: string, body: unknown, status = 200) => {
    const res = await postJson(base, path, body);
    expect(res.status, await res.clone().text()).toBe(status);
  };
  await ok('/v1/calls', { callId: 'active', customer: { firstName: 'Иван', patronymic: 'Петрович' } }, 201);
  await ok('/v1/calls/active/events', { type: 'customer.location-question', id: 'loc-1' });
  await ok('/v1/calls', { callId: 'held' }, 201);
  await ok('/v1/calls/held/events', { type: 'answer.given', id: 'a-1' });
  await ok('/v1/calls/held/events', { type: 'call.hold', id: 'h-1' });
  await ok('/v1/calls', { callId: 'done' }, 201);
  await ok('/v1/calls/done/events', { type: 'customer.prolonging', id: 'p-1' });
});

afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Row {
  title: string;
  method?: string;
  path: string;
  body: string | Buffer | null;
  headers?: Record<string, string>;
  status: number;
  /** Only 200s here are replays: they must say so. */
  replayed?: boolean;
}

const rows: Row[] = [
  { title: 'broken JSON', path: '/v1/calls/active/events', body: '{"type": "call.hold",', status: 400 },
  { title: 'JSON with single quotes', path: '/v1/calls', body: "{'callId': 'x1'}", status: 400 },
  { title: 'empty JSON body', path: '/v1/calls/active/events', body: '', status: 400 },
  { title: 'prototype pollution', path: '/v1/calls', body: '{"callId":"pp","__proto__":{"a":1}}', status: 400 },
  {
    title: 'text/plain',
    path: '/v1/calls/active/events',
    body: json({ type: 'call.hold' }),
    headers: { 'content-type': 'text/plain' },
    status: 415,
  },
  {
    title: 'form-encoded create',
    path: '/v1/calls',
    body: 'callId=form-1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
  },
  {
    title: 'no content-type',
    path: '/v1/calls/active/events',
    body: json({ type: 'call.hold' }),
    headers: {},
    status: 415,
  },
  {
    title: '3 MB event body',
    path: '/v1/calls/active/events',
    body: json({ type: 'customer.unknown-topic', data: { topic: 'x'.repeat(3 * 1024 * 1024) } }),
    status: 413,
  },
  {
    title: '3 MB create body',
    path: '/v1/calls',
    body: json({ callId: 'big', pad: 'y'.repeat(3 * 1024 * 1024) }),
    status: 413,
  },
  {
    title: 'unknown type',
    path: '/v1/calls/active/events',
    body: json({ type: 'customer.dances', id: 'u-1' }),
    status: 400,
  },
  {
    title: 'wrong data type',
    path: '/v1/calls/active/events',
    body: json({ type: 'customer.identified', id: 'w-1', data: { firstName: 42 } }),
    status: 400,
  },
  {
    title: 'wrong enum value',
    path: '/v1/calls/active/events',
    body: json({ type: 'customer.contact-refused', data: { field: 'fax' } }),
    status: 400,
  },
  {
    title: 'missing required data',
    path: '/v1/calls/active/events',
    body: json({ type: 'customer.unknown-topic', id: 'm-1' }),
    status: 400,
  },
  {
    title: 'unknown field in data',
    path: '/v1/calls/active/events',
    body: json({ type: 'call.hold', data: { x: 1 } }),
    status: 400,
  },
  {
    title: 'unknown top-level field',
    path: '/v1/calls/active/events',
    body: json({ type: 'call.hold', when: 'now' }),
    status: 400,
  },
  {
    title: 'bad callId in the path',
    path: '/v1/calls/bad%20id/events',
    body: json({ type: 'call.hold' }),
    status: 400,
  },
  { title: 'bad callId in a create', path: '/v1/calls', body: json({ callId: 'bad id' }), status: 400 },
  { title: '129-character callId', path: '/v1/calls', body: json({ callId: 'c'.repeat(129) }), status: 400 },
  { title: 'bad locale', path: '/v1/calls', body: json({ callId: 'loc-de', locale: 'de' }), status: 400 },
  { title: 'existing call, other body', path: '/v1/calls', body: json({ callId: 'active' }), status: 409 },
  {
    title: 'event on an ended call',
    path: '/v1/calls/done/events',
    body: json({ type: 'call.hangup', id: 'late' }),
    status: 409,
  },
  { title: 'unknown call', path: '/v1/calls/nobody/events', body: json({ type: 'call.hold', id: 'n-1' }), status: 404 },
  {
    title: 'idempotency conflict',
    path: '/v1/calls/active/events',
    body: json({ type: 'customer.prank', id: 'loc-1' }),
    status: 409,
  },
  {
    title: 'idempotency conflict on an ended call',
    path: '/v1/calls/done/events',
    body: json({ type: 'call.hangup', id: 'p-1' }),
    status: 409,
  },
  {
    title: 'not allowed now (on hold)',
    path: '/v1/calls/held/events',
    body: json({ type: 'answer.given', id: 'na-1' }),
    status: 409,
  },
  {
    title: 'repeat before any answer',
    path: '/v1/calls/active/events',
    body: json({ type: 'customer.repeat-request' }),
    status: 409,
  },
  {
    title: 'offer answer without an offer',
    path: '/v1/calls/active/events',
    body: json({ type: 'offer.accepted' }),
    status: 409,
  },
  { title: 'bad query', method: 'GET', path: '/v1/calls?limit=0', body: null, headers: {}, status: 400 },
  {
    title: 'replay of an applied event',
    path: '/v1/calls/held/events',
    body: json({ type: 'call.hold', id: 'h-1' }),
    status: 200,
    replayed: true,
  },
  {
    title: 'replay on an ended call',
    path: '/v1/calls/done/events',
    body: json({ type: 'customer.prolonging', id: 'p-1' }),
    status: 200,
    replayed: true,
  },
  { title: 'the same create body again', path: '/v1/calls', body: json({ callId: 'held' }), status: 200 },
];

describe('a wrong request changes nothing stored', () => {
  it.each(rows.map((r) => [r.title, r] as const))('%s', async (_title, row) => {
    const before = dumpText(dumpSqlite(dbPath));
    const answer = await send(row.method ?? 'POST', row.path, row.body, row.headers ?? JSON_TYPE);
    expect(answer.status, answer.body.slice(0, 300)).toBe(row.status);
    if (row.status >= 400) {
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({
        status: row.status,
        type: expect.any(String),
        title: expect.any(String),
        detail: expect.any(String),
      });
    }
    if (row.replayed) expect(JSON.parse(answer.body).replayed).toBe(true);
    const after = dumpSqlite(dbPath);
    const afterText = dumpText(after);
    if (afterText !== before) {
      expect.fail(
        `the store changed: ${JSON.stringify(rowCounts(JSON.parse(before)))} -> ${JSON.stringify(rowCounts(after))}`,
      );
    }
    expect(afterText).toBe(before);
  });

  it('the dump sees a change when there is one (the check can fail)', async () => {
    const before = dumpSqlite(dbPath);
    const res = await postJson(base, '/v1/calls/active/events', { type: 'customer.prank', id: 'real-1' });
    expect(res.status).toBe(200);
    const after = dumpSqlite(dbPath);
    expect(dumpText(after)).not.toBe(dumpText(before));
    expect(after.tables.history?.length).toBe((before.tables.history?.length ?? 0) + 1);
    expect(Object.keys(after.tables).sort()).toEqual(expect.arrayContaining(['calls', 'history', 'jobs']));
    // The call on hold's check; besides it, each active call's idle check and the retention job.
    expect(after.tables.jobs?.filter((job) => job.name === 'hold.check')).toHaveLength(1);
  });
});
