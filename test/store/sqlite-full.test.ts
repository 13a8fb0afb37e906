/**
 * SPEC §10, store faults, on SQLite: a full disk, simulated with `PRAGMA max_page_count` on the
 * writer thread's connection (the database can grow no further). Writes answer 507 problem+json,
 * reads go on, /readyz answers 503; once the limit is raised, writes work again without a restart;
 * and after a restart everything acknowledged is there. The log has one warning and one line for it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { GuardedStore } from '../../src/store/guarded.js';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { type HistoryEvent, until } from '../support/api.js';
import { parseMetrics, sampleValue } from '../support/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-full-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'calls.db');

async function open(lines: Record<string, unknown>[]) {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({ DATABASE_URL: `sqlite:${file}`, HOLD_CHECK_SECONDS: '60', LOG_LEVEL: 'info' });
  const app = await buildApp(config, { logger: { level: 'info', stream } });
  await app.ready();
  return app;
}

type App = Awaited<ReturnType<typeof open>>;

const sqliteOf = (app: App) => (app.store as GuardedStore).inner as SqliteStore;

const postEvent = (app: App, callId: string, id: string) =>
  app.inject({
    method: 'POST',
    url: `/v1/calls/${callId}/events`,
    payload: { type: 'customer.identified', id, data: { firstName: `Name-${id}` } },
  });

async function metric(app: App, name: string, labels: Record<string, string> = {}) {
  return sampleValue(parseMetrics((await app.inject({ method: 'GET', url: '/metrics' })).body), name, labels);
}

describe('SQLite with a full disk', () => {
  it('writes 507, reads go on, /readyz 503; writes again once there is room; everything acknowledged survives a restart', async () => {
    const lines: Record<string, unknown>[] = [];
    let app = await open(lines);
    const calls = Array.from({ length: 20 }, (_, i) => `full-${i}`);
    const acknowledged = new Map<string, string[]>(calls.map((c) => [c, []]));
    try {
      for (const callId of calls) {
        expect((await app.inject({ method: 'POST', url: '/v1/calls', payload: { callId } })).statusCode).toBe(201);
      }
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      const logFrom = lines.length;

      // The database may grow no further: the next pages it needs are refused.
      const cap = await sqliteOf(app).maxPageCount(1);
      expect(cap).toBeGreaterThan(1);
      let refused: { callId: string; id: string; body: Record<string, unknown>; type: string } | null = null;
      for (let k = 0; k < 2_000 && !refused; k++) {
        const callId = calls[k % calls.length]!;
        const id = `e-${Math.floor(k / calls.length)}`;
        const res = await postEvent(app, callId, id);
        if (res.statusCode === 200) acknowledged.get(callId)!.push(id);
        else refused = { callId, id, body: res.json(), type: String(res.headers['content-type']) };
      }
      expect(refused, 'no write was refused').not.toBeNull();
      expect(refused!.type).toMatch(/^application\/problem\+json/);
      expect(refused!.body).toMatchObject({
        type: 'https://callflow.dev/problems/store-disk-full',
        title: 'Insufficient Storage',
        status: 507,
        kind: 'disk-full',
      });

      // Reads go on; readiness says the store cannot take writes; so do the metrics.
      const read = await app.inject({ method: 'GET', url: `/v1/calls/${refused!.callId}` });
      expect(read.statusCode).toBe(200);
      expect(read.json().version).toBe(acknowledged.get(refused!.callId)!.length);
      expect((await app.inject({ method: 'GET', url: `/v1/calls/${refused!.callId}/history` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/v1/calls?limit=5' })).statusCode).toBe(200);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'store unavailable', fault: 'disk-full' });
      expect(await metric(app, 'callflow_store_up')).toBe(0);
      expect(await metric(app, 'callflow_store_errors_total', { kind: 'disk-full' })).toBeGreaterThan(0);
      // Room again, without a restart: the health's probe finds it, and the refused event, sent
      // again with its id, is applied once.
      await sqliteOf(app).maxPageCount(1_073_741_823);
      const raisedAt = Date.now();
      await until(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, {
        timeoutMs: 5_000,
        message: '/readyz 200 once there is room',
      });
      const recoveryMs = Date.now() - raisedAt;
      expect(await metric(app, 'callflow_store_up')).toBe(1);
      const retried = await postEvent(app, refused!.callId, refused!.id);
      expect(retried.statusCode, retried.body).toBe(200);
      expect(retried.json().replayed).toBeUndefined();
      acknowledged.get(refused!.callId)!.push(refused!.id);
      for (const callId of calls.slice(0, 5)) {
        const id = `after-${callId}`;
        expect((await postEvent(app, callId, id)).statusCode).toBe(200);
        acknowledged.get(callId)!.push(id);
      }

      // One warning when it started, one line when it ended; no error lines.
      const outage = lines.slice(logFrom).filter((l) => l.msg !== 'request');
      expect(outage.filter((l) => l.level === 40)).toHaveLength(1);
      expect(outage.find((l) => l.level === 40)).toMatchObject({ storeFault: 'disk-full' });
      expect(outage.filter((l) => Number(l.level) >= 50)).toEqual([]);
      expect(outage.filter((l) => String(l.msg).startsWith('store available again'))).toHaveLength(1);
      expect(outage.length, JSON.stringify(outage)).toBe(2);
      const acked = [...acknowledged.values()].reduce((n, ids) => n + ids.length, 0);
      console.log(
        `sqlite full: cap ${cap} pages, ${acked} events acknowledged, ready again ${recoveryMs} ms after the limit was raised; log lines: ${outage.map((l) => l.msg).join(' | ')}`,
      );
    } finally {
      await app.close();
    }

    // A restart: everything acknowledged is there, once, in order.
    app = await open([]);
    try {
      for (const callId of calls) {
        const res = await app.inject({ method: 'GET', url: `/v1/calls/${callId}/history` });
        const events = (res.json() as { events: HistoryEvent[] }).events;
        expect(events.map((e) => e.id)).toEqual(acknowledged.get(callId));
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      }
    } finally {
      await app.close();
    }
  }, 60_000);
});
