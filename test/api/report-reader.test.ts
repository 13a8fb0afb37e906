/**
 * On a SQLite file the adherence report's SQL runs on its own thread (src/reports/sqlite-reader.ts),
 * not on the event loop through the store: the route's answer equals the report the store computes
 * itself, and the store's own query() is never asked for it. The reader's failures are errors of
 * their query only, and a reader thread that died is started again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adherenceReport } from '../../src/reports/adherence.js';
import { SqliteReportReader } from '../../src/reports/sqlite-reader.js';
import { applyAll, uniqueId } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';

let app: TestApp;
let dir: string;
const today = new Date().toISOString().slice(0, 10);
const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callflow-report-reader-'));
  app = await buildTestApp({ DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}` });
  for (const operatorId of ['op.a', 'op.a', 'op.b']) {
    const callId = uniqueId('reader');
    expect((await post(app, '/v1/calls', { callId, operatorId })).statusCode).toBe(201);
    await applyAll(app, callId, ['call.hold', 'call.unhold', 'customer.profanity', 'customer.profanity']);
  }
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the report reader thread (SQLite file)', () => {
  it("answers the route with the store's own figures, without the store's query()", async () => {
    const expected = await adherenceReport(
      app.store,
      { from: Date.parse(today), to: Date.parse(tomorrow) },
      'operator',
    );
    expect(expected.totals).toMatchObject({ calls: 3, holds: 3, profanityTerminations: 3 });
    const original = app.store.query.bind(app.store);
    const seen: string[] = [];
    app.store.query = (sql, params) => {
      seen.push(sql);
      return original(sql, params);
    };
    try {
      const res = await app.inject({ method: 'GET', url: `/v1/reports/adherence?from=${today}&to=${tomorrow}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual(expected);
    } finally {
      app.store.query = original;
    }
    expect(seen.filter((sql) => sql.includes('FROM calls c'))).toEqual([]);
  });

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
