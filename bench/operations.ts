/**
 * Operating it (SPEC §10), each figure beside a baseline of the same run:
 *   secure_delete  the event path's writes (call row update + history insert, one transaction
 *                  each, WAL, synchronous=NORMAL) with secure_delete ON (the store's setting,
 *                  so erased bytes leave the file) against OFF, rounds interleaved
 *   events         the service's event route in process (app.inject, SQLite file) with the idle
 *                  job armed for every call, against the same route's figure in the same process
 *                  before any call has one (idle jobs are armed at create: an event writes none)
 *   retention      time to erase N ended calls by retention, and the event route's p99 while it
 *                  runs against its p99 just before, on the same file
 *
 * Alone: `node --import tsx bench/operations.ts [--quick]`; in `npm run bench` as a section.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { type Percentiles, percentiles } from './stats.js';

export const OPERATIONS_GOALS = { secureDeleteRatio: 0.95, retentionP99Ratio: 1.5 };

export interface OperationsResult {
  secureDelete: { offPerSecond: number[]; onPerSecond: number[]; ratio: number };
  retention: {
    calls: number;
    seconds: number;
    perSecond: number;
    beforeMs: Percentiles;
    duringMs: Percentiles;
    p99Ratio: number;
  };
}

const SNAPSHOT = JSON.stringify({
  value: { conversation: { dialogue: 'talking', answer: 'given', conduct: 'polite' } },
  context: {
    customer: { firstName: 'Аграфена', patronymic: 'Гурьяновна' },
    repeats: 1,
    connectionAttempts: 0,
    warnings: 0,
    skippedFields: [],
    endReason: null,
  },
  status: 'active',
  historyValue: {},
});

function writeRound(file: string, secureDelete: boolean, calls: number, events: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`secure_delete = ${secureDelete ? 'ON' : 'OFF'}`);
  db.exec(`CREATE TABLE IF NOT EXISTS calls (call_id TEXT PRIMARY KEY, version INTEGER, snapshot TEXT, updated_at INTEGER);
    CREATE TABLE IF NOT EXISTS history (call_id TEXT, seq INTEGER, data TEXT, snapshot TEXT, at INTEGER, PRIMARY KEY (call_id, seq));`);
  const insert = db.prepare('INSERT OR IGNORE INTO calls VALUES (?, 0, ?, 0)');
  db.transaction(() => {
    for (let i = 0; i < calls; i++) insert.run(`c${i}`, SNAPSHOT);
  })();
  const version = db.prepare('SELECT version FROM calls WHERE call_id = ?').pluck();
  const update = db.prepare('UPDATE calls SET version = ?, snapshot = ?, updated_at = ? WHERE call_id = ?');
  const history = db.prepare('INSERT INTO history VALUES (?, ?, ?, ?, ?)');
  const step = db.transaction((callId: string, v: number) => {
    update.run(v, SNAPSHOT, Date.now(), callId);
    history.run(callId, v, '{}', SNAPSHOT, Date.now());
  });
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const callId = `c${i % calls}`;
    step(callId, (version.get(callId) as number) + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return events / seconds;
}

function secureDeleteRatio(dir: string, quick: boolean): OperationsResult['secureDelete'] {
  const rounds = quick ? 2 : 4;
  const events = quick ? 10_000 : 30_000;
  const offPerSecond: number[] = [];
  const onPerSecond: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Interleaved, each on a fresh file, so drift of the host hits both.
    offPerSecond.push(writeRound(join(dir, `sd-off-${round}.db`), false, 1000, events));
    onPerSecond.push(writeRound(join(dir, `sd-on-${round}.db`), true, 1000, events));
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
  return { offPerSecond, onPerSecond, ratio: median(onPerSecond) / median(offPerSecond) };
}

async function openApp(url: string, retentionDays: string) {
  const app = await buildApp(
    loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', RETENTION_DAYS: retentionDays, HOLD_CHECK_SECONDS: '30' }),
  );
  await app.ready();
  return app;
}

type App = Awaited<ReturnType<typeof openApp>>;

const post = (app: App, url: string, payload: object) =>
  app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });

/** Event latencies on `calls` active calls, `concurrency` at a time, until `stop` says so. */
async function eventLoad(app: App, calls: string[], concurrency: number, stop: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stop()) {
        const callId = calls[n++ % calls.length] as string;
        const started = performance.now();
        const res = await post(app, `/v1/calls/${callId}/events`, { type: 'customer.location-question' });
        if (res.statusCode !== 200) throw new Error(`event: ${res.statusCode} ${res.body}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

async function retention(dir: string, quick: boolean): Promise<OperationsResult['retention']> {
  const url = `sqlite:${join(dir, 'retention.db')}`;
  const ended = quick ? 2_000 : 10_000;
  let app = await openApp(url, '36500');
  for (let i = 0; i < ended; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, ended - i) }, async (_, j) => {
        const callId = `ended-${i + j}`;
        await post(app, '/v1/calls', { callId, customer: { firstName: 'Аграфена', patronymic: 'Гурьяновна' } });
        await post(app, `/v1/calls/${callId}/events`, { type: 'customer.unknown-topic', data: { topic: 'кредит' } });
        await post(app, `/v1/calls/${callId}/events`, { type: 'call.hangup' });
      }),
    );
  }
  const active = Array.from({ length: 200 }, (_, i) => `active-${i}`);
  for (const callId of active) await post(app, '/v1/calls', { callId, customer: { firstName: 'Пётр' } });
  const loadMs = quick ? 2_000 : 4_000;
  let until = performance.now() + loadMs;
  const before = await eventLoad(app, active, 20, () => performance.now() > until);
  await app.close();

  // The same file with a retention every ended call is past: the job starts at ready.
  const started = performance.now();
  app = await openApp(url, '0.000001');
  const erasedCount = async () => Number((await app.store.query('SELECT COUNT(*) AS n FROM erasures'))[0]?.n ?? 0);
  let done = false;
  let seconds = 0;
  const watcher = (async () => {
    while ((await erasedCount()) < ended) await new Promise((r) => setTimeout(r, 20));
    seconds = (performance.now() - started) / 1000;
    done = true;
  })();
  until = performance.now() + 600_000;
  const during = await eventLoad(app, active, 20, () => done || performance.now() > until);
  await watcher;
  await app.close();
  const beforeMs = percentiles(before);
  const duringMs = percentiles(during);
  return {
    calls: ended,
    seconds,
    perSecond: ended / seconds,
    beforeMs,
    duringMs,
    p99Ratio: duringMs.p99 / beforeMs.p99,
  };
}

export async function measureOperations(options: { quick: boolean }): Promise<OperationsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-bench-ops-'));
  try {
    return { secureDelete: secureDeleteRatio(dir, options.quick), retention: await retention(dir, options.quick) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatOperations(r: OperationsResult): string {
  const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  return [
    'OPERATIONS (SPEC §10)',
    `  secure_delete ON vs OFF, event writes/s: ${r.secureDelete.onPerSecond.map((v) => f(v)).join(', ')} vs ${r.secureDelete.offPerSecond.map((v) => f(v)).join(', ')}; ratio ${f(r.secureDelete.ratio, 3)} (goal >= ${OPERATIONS_GOALS.secureDeleteRatio})`,
    `  retention: ${f(r.retention.calls)} ended calls erased in ${f(r.retention.seconds, 1)} s (${f(r.retention.perSecond)}/s)`,
    `  event route p99 (in process, 20 concurrent): ${f(r.retention.beforeMs.p99, 2)} ms before, ${f(r.retention.duringMs.p99, 2)} ms during retention; ratio ${f(r.retention.p99Ratio, 2)} (goal <= ${OPERATIONS_GOALS.retentionP99Ratio}); events during: ${f(r.retention.duringMs.n)}`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measureOperations({ quick: process.argv.includes('--quick') });
  process.stdout.write(`${formatOperations(result)}\n${JSON.stringify(result)}\n`);
}
