/**
 * The adherence report's SQL runs apart from the event path (src/reports/readers.ts): on a SQLite
 * file on its own thread, on PostgreSQL on a pool of its own with JIT off. The route's answer
 * equals the report the store computes itself, and the store's own query() is never asked for it.
 * The SQLite reader's failures are errors of their query only, and a thread that died is started again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adherenceReport } from '../../src/reports/adherence.js';
import { PostgresReportReader } from '../../src/reports/postgres-reader.js';
import { SqliteReportReader } from '../../src/reports/sqlite-reader.js';
import { applyAll, uniqueId } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';
import { beforeFirstTest } from '../support/hooks.js';
import { type TestDatabase, testDatabase } from '../support/postgres.js';

let app: TestApp;
let pgApp: TestApp;
let pgDatabase: TestDatabase;
let dir: string;
const today = new Date().toISOString().slice(0, 10);
const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

async function threeCalls(on: TestApp) {
  for (const operatorId of ['op.a', 'op.a', 'op.b']) {
    const callId = uniqueId('reader');
    expect((await post(on, '/v1/calls', { callId, operatorId })).statusCode).toBe(201);
    await applyAll(on, callId, ['call.hold', 'call.unhold', 'customer.profanity', 'customer.profanity']);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callflow-report-reader-'));
  app = await buildTestApp({ DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}` });
  await threeCalls(app);
});
afterAll(async () => {
  await app?.close();
  await pgApp?.close();
  await pgDatabase?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The route's report on `on`, with the store's query() watched; what it was asked. */
async function routeReport(on: TestApp) {
  const expected = await adherenceReport(on.store, { from: Date.parse(today), to: Date.parse(tomorrow) }, 'operator');
  expect(expected.totals).toMatchObject({ calls: 3, holds: 3, profanityTerminations: 3 });
  const original = on.store.query.bind(on.store);
  const seen: string[] = [];
  on.store.query = (sql, params) => {
    seen.push(sql);
    return original(sql, params);
  };
  try {
    const res = await on.inject({ method: 'GET', url: `/v1/reports/adherence?from=${today}&to=${tomorrow}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(expected);
  } finally {
    on.store.query = original;
  }
  expect(seen.filter((sql) => sql.includes('FROM calls c'))).toEqual([]);
}

describe('the report reader thread (SQLite file)', () => {
  it("answers the route with the store's own figures, without the store's query()", () => routeReport(app));

  it('a failing statement fails its query only; a dead thread is started again', async () => {
    const reader = new SqliteReportReader(join(dir, 'callflow.db'));
    try {
      await expect(reader.query('SELECT nope FROM calls')).rejects.toThrow(/no such column/);
      expect(await reader.query('SELECT COUNT(*) AS n FROM calls')).toEqual([{ n: 3 }]);
      // The thread is gone (as if it crashed): the next query starts another.
      await (reader as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      expect(await reader.query('SELECT COUNT(*) AS n FROM calls WHERE operator_id = ?', ['op.a'])).toEqual([{ n: 2 }]);
    } finally {
      await reader.close();
    }
  });
});

describe('the report reader pool (PostgreSQL)', () => {
  beforeFirstTest(async () => {
    pgDatabase = await testDatabase('callflow_report_reader');
    pgApp = await buildTestApp({ DATABASE_URL: pgDatabase.url });
    await threeCalls(pgApp);
  }, 120_000);

  it("answers the route with the store's own figures, without the store's query()", () => routeReport(pgApp));

  it('runs its sessions with JIT off, apart from the store', async () => {
    const reader = new PostgresReportReader(pgDatabase.url);
    try {
      expect(await reader.query('SHOW jit')).toEqual([{ jit: 'off' }]);
      expect(await reader.query("SELECT current_setting('application_name') AS name")).toEqual([
        { name: 'callflow-reports' },
      ]);
      expect(await reader.query('SELECT COUNT(*) AS n FROM calls WHERE operator_id = ?', ['op.a'])).toEqual([{ n: 2 }]);
    } finally {
      await reader.close();
    }
  });
});
